"""Failure records of the background jobs (the job model itself is ``kit.jobs``)."""
