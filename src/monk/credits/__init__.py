"""Prepaid and promotional credits: a wallet per contract (reference §10–§12.3, concepts §12–13)."""
