"""Accounts: sign-in and registration (auth/), tokens, users and roles, field officers, the audit log and the
admin's pages (admin/)."""
