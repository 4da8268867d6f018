"""The closed sets of values stored in status and kind columns, one ``StrEnum`` per field.

Members are ``str``, so they compare equal to the stored text and serialize as it: the values are
byte-identical to what the API has always answered. Columns stay ``String``; code writes and
compares these members instead of string literals. Which invoice status may follow which is the
transition table in ``monk.invoices.transitions``.
"""

from __future__ import annotations

from enum import StrEnum

from monk.billing.invoice import LineKind as LineKind  # the pure core's line kinds, re-exported beside the others


class InvoiceStatus(StrEnum):
    """``invoices.status``: ``Drafted``/``In Progress`` are open (lines still change), the rest final."""

    DRAFTED = "Drafted"
    IN_PROGRESS = "In Progress"
    SENT = "Sent"
    IN_TRANSIT = "In Transit"
    PAID = "Paid"
    CANCELLED = "Cancelled"
    REFUNDED = "Refunded"


OPEN_INVOICE_STATUSES: tuple[InvoiceStatus, ...] = (InvoiceStatus.DRAFTED, InvoiceStatus.IN_PROGRESS)
"""Invoices whose lines are still recomputed and that finalization picks up."""


class InvoiceKind(StrEnum):
    """``invoices.kind``: a calendar slot (``regular``) or late usage after the contract ended (``adjustment``)."""

    REGULAR = "regular"
    ADJUSTMENT = "adjustment"


class EventStatus(StrEnum):
    """``events.status``: ``pending`` until the worker matched it, then ``matched`` or ``unmatched``."""

    PENDING = "pending"
    MATCHED = "matched"
    UNMATCHED = "unmatched"


class MeterStatus(StrEnum):
    """``meters.status``: ``inactive`` once archived."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class PlanStatus(StrEnum):
    """``plans.status``: contracts can be created only on ``ACTIVE`` plans."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class CollectionMethod(StrEnum):
    """``plans.collection_method``, the plan's billing mode (concepts §18): ``auto_charge`` charges the
    saved payment method, due on receipt (Net 0, auto-pay on); ``invoice_and_collect`` sends the invoice
    and collects it."""

    AUTO_CHARGE = "auto_charge"
    INVOICE_AND_COLLECT = "invoice_and_collect"


class JobKind(StrEnum):
    """``job_failures.kind``: the background job that set an item aside."""

    MATCH = "match"
    FINALIZE = "finalize"
    HORIZON = "horizon"


class ChangeOption(StrEnum):
    """``contract_phases.change_option``: when a plan change takes effect."""

    IMMEDIATE = "immediate"
    END_OF_PERIOD = "end_of_period"
    REQUESTED_DATE = "requested_date"


class DeliveryStatus(StrEnum):
    """``webhook_deliveries.status``: ``pending`` until an attempt got a 2xx (``succeeded``) or the
    last allowed attempt failed (``failed``)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LedgerEntryType(StrEnum):
    """``credit_ledger.type`` (reference §10.3, concepts §12): ``grant`` (+), ``usage`` (−, drawn for
    an invoice), ``adjustment`` (±), ``reversal`` (+, usage given back), ``expiration`` (−, written off)."""

    GRANT = "grant"
    USAGE = "usage"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    EXPIRATION = "expiration"


class AttemptStatus(StrEnum):
    """``payment_attempts.status`` (concepts §18): ``pending`` (committed before Stripe is called, or its
    answer not recorded yet), ``processing`` (Stripe settles it later), then ``succeeded`` or ``failed``;
    a succeeded one may become ``refunded``. Pending and processing attempts are live: one per invoice."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class AttemptKind(StrEnum):
    """``payment_attempts.kind``: the daily auto-pay run's off-session charge, or the payment page's."""

    AUTO_PAY = "auto_pay"
    PAGE = "page"


class EmailKind(StrEnum):
    """``email_messages.kind``: the invoice itself (finalized, invoice-and-collect), and the three
    payment emails of concepts §18."""

    INVOICE = "invoice"
    PAYMENT_CONFIRMATION = "payment_confirmation"
    PAYMENT_PROCESSING = "payment_processing"
    PAYMENT_FAILED = "payment_failed"


class EmailStatus(StrEnum):
    """``email_messages.status``: ``pending`` until the SMTP server accepted it (``sent``), its last
    allowed attempt failed or the server refused it for good (``failed``), or it came due while no SMTP
    server was configured (``skipped``: never sent later)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class ContractState(StrEnum):
    """A contract's state as the dashboard shows it, derived (not stored): ``Cancelled`` once cancelled
    (its last period may still run), ``Active`` while it runs, else ``Ended``."""

    ACTIVE = "Active"
    CANCELLED = "Cancelled"
    ENDED = "Ended"
