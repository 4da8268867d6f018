"""The payment gateway (concepts §18): each organization's Stripe connection per mode, and every call
Monk makes to Stripe through it. The ``payments`` domain (auto-pay, the payment page, refunds) and
customers' Stripe links build on it; it depends on no domain package."""
