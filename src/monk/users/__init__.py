"""Dashboard users: people with an email and a password, and their role (admin or viewer) per organization."""
