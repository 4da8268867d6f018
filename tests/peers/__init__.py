"""Real peers the tests talk to over loopback: a Stripe-compatible server (``localstripe``) and
helpers to find a free port."""
