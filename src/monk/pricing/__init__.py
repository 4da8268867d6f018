"""Pricing configurations and their products (reference §3.5, §7.1–7.3)."""
