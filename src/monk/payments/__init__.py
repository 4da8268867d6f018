"""Getting paid (concepts §18): the daily auto-pay run, payment attempts and their outcomes, Stripe's
webhooks, the reconciler and refunds, on the organization's Stripe connection (``gateway``)."""
