"""Costing: the stateless price estimate (reference §7.4) and the cost of stored usage (§12.4)."""
