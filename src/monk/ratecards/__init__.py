"""Dimensional rate cards (concepts §9): a rate per combination of a meter's group-key values."""
