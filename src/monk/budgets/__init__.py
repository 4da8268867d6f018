"""Credit budgets (reference §11): per-dimension caps on a contract's shared credit pool."""
