"""SQLAlchemy tables, one module per entity. Importing this package registers them all."""

from monk.models.base import Base
from monk.models.budget import CreditBudget
from monk.models.contract import Contract
from monk.models.credit import CreditBlock, CreditDraw, CreditEntry
from monk.models.customer import Customer
from monk.models.email import EmailMessage
from monk.models.event import Event, UsageRecord
from monk.models.invoice import Invoice, InvoiceLine
from monk.models.job_failure import JobFailure
from monk.models.meter import Meter
from monk.models.organization import ApiKey, Organization
from monk.models.payment import PaymentAttempt, StripeConnection, StripeEvent
from monk.models.phase import ContractPhase
from monk.models.plan import Plan, PlanPricing
from monk.models.pricing import Pricing, Product
from monk.models.ratecard import RateCard
from monk.models.rollup import UsageDay, UsageRollup
from monk.models.sequence import Sequence
from monk.models.user import Membership, User
from monk.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiKey", "Base", "Contract", "ContractPhase", "CreditBlock", "CreditBudget", "CreditDraw", "CreditEntry",
    "Customer", "EmailMessage", "Event",
    "Invoice", "InvoiceLine", "JobFailure", "Membership", "Meter", "Organization", "Plan", "PlanPricing", "Pricing",
    "Product",
    "PaymentAttempt", "RateCard", "Sequence", "StripeConnection", "StripeEvent", "UsageDay", "UsageRecord",
    "UsageRollup", "User",
    "WebhookAttempt", "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
