"""The dashboard: server-rendered pages for people, in the same process as the API (issue 15)."""
