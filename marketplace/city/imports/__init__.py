"""The inventory import from the admin web page: upload, preview (a dry run), confirm."""
