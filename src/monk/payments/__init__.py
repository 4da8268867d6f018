"""Getting paid (concepts §18): Stripe connections per organization and mode; auto-pay, the payment
page and invoice emails build on them."""
