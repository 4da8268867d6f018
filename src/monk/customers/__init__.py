"""Customers (reference §5)."""
