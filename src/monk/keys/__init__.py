"""API keys (reference §1.2–1.4): creating, listing and revoking them, and resolving a request's key to
its principal through one cache shared by the Monk API and the Events API fast path."""
