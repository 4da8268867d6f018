"""Monk: open-source usage-based billing (meters, pricing, plans, contracts, events, invoices)."""

__version__ = "0.1.0"
