"""The legacy usage shim (reference §14): ``POST /api/v1/usages`` stores a usage as an event."""
