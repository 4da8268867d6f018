"""Usage queries and shims: the stateless price estimate (reference §7.4), the cost of stored usage
(§12.4) and the legacy ``POST /api/v1/usages`` endpoint (§14)."""
