"""The small shared toolkit: database seam, auth, errors, pagination, ids, time."""
