"""Pieces every domain shares: permissions (policies), the workflow engine, clock, formatting, the forms base,
text, vocabularies, security headers, language choice, static files, error pages and the mapping of domain errors,
the mail outbox, exports and backups. Nothing here imports a domain package's views."""
