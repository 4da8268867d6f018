"""Invoices (reference §3.3, §12): the calendar, line assembly, recompute from usage."""
