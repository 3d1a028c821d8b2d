"""The public catalog: its pages (views.py), queries and facets, search, the cached counts and the open-data API."""
