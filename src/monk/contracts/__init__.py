"""Contracts (reference §9)."""
