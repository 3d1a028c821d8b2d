"""The city's account administration (/admin/users) and audit log viewer (/admin/audit)."""
