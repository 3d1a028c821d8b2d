"""Demo and scale data for `flask seed`: commands only, never imported by a request."""
