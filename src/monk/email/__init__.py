"""Emails to customers (concepts §18): the invoice, and the payment confirmation, ACH-processing and
payment-failed notices. ``service`` queues them in the caller's transaction, ``render`` turns a kind
and its context into subject and bodies, ``send`` is the job that delivers them over SMTP."""
