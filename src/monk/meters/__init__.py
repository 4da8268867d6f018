"""Meters (reference §3.4, §6): which events count toward usage and how they aggregate."""
