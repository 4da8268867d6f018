"""Every call Monk makes to Stripe, through the official ``stripe`` SDK (async, over httpx), for one
organization's connection. Amounts are integer cents; currencies lower-case ISO codes as Stripe takes them.

Failures come back typed: :class:`StripeUnavailable` when Stripe could not be reached or answered
5xx/429 (nothing is known to have happened: retry later), :class:`StripeRefused` when Stripe answered a
4xx (the request is wrong or the card was declined: ``code``/``decline_code`` say why). A declined
off-session charge is not an exception: :meth:`StripeGateway.charge` returns the failed intent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe

TIMEOUT_SECONDS = 30.0
SCAN_PAGES = 20  # PaymentIntents a metadata lookup reads (×100) where Stripe's search is not offered


@dataclass(frozen=True)
class StripeAccount:
    """An opened connection: what the ``stripe`` SDK needs (``api_base`` None = Stripe)."""

    secret_key: str
    webhook_secret: str
    api_base: str | None


class StripeUnavailable(Exception):
    """Stripe could not be reached, timed out or answered 5xx/429: the outcome is unknown, retry later."""


class StripeRefused(Exception):
    """Stripe answered 4xx: ``status`` (HTTP), ``code`` (Stripe's error code, e.g. ``resource_missing``,
    ``card_declined``), ``decline_code`` (the issuer's reason, e.g. ``insufficient_funds``) and
    Stripe's message."""

    def __init__(self, message: str, *, status: int | None, code: str | None, decline_code: str | None) -> None:
        super().__init__(message)
        self.status, self.code, self.decline_code = status, code, decline_code

    @property
    def missing(self) -> bool:
        """Whether the object asked for does not exist (404 / ``resource_missing``)."""
        return self.status == 404 or self.code == "resource_missing"


@dataclass(frozen=True)
class PaymentMethodInfo:
    """A Stripe PaymentMethod: ``type`` (``card``, ``us_bank_account``, …), the card's ``brand`` and
    ``last4`` (a bank account's ``bank_name`` and ``last4``), the ``customer`` it is attached to."""

    id: str
    type: str
    brand: str | None
    last4: str | None
    customer: str | None


@dataclass(frozen=True)
class IntentInfo:
    """A Stripe PaymentIntent: ``status`` as Stripe names it (``succeeded``, ``processing``,
    ``requires_payment_method`` after a failure, …), ``amount`` in cents, the failure's ``decline_code``
    and ``failure_message`` when the last attempt failed, ``latest_charge`` the charge id."""

    id: str
    status: str
    amount: int
    currency: str
    customer: str | None
    payment_method: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    client_secret: str | None = None
    latest_charge: str | None = None
    decline_code: str | None = None
    failure_message: str | None = None


def _refused(exc: stripe.StripeError) -> StripeRefused:
    error = getattr(exc, "error", None)
    decline = getattr(error, "decline_code", None) if error is not None else None
    return StripeRefused(exc.user_message or str(exc), status=exc.http_status, code=exc.code,
                         decline_code=decline or exc.code)


def _translate(exc: stripe.StripeError) -> Exception:
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (exc.http_status or 500) >= 500:
        return StripeUnavailable(" ".join(str(exc).split())[:300])
    return _refused(exc)


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts and lists (the SDK's objects refuse ``.get``)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id(value: Any) -> str | None:
    """An expandable field's id (a string or an object with ``id``)."""
    if value is None or isinstance(value, str):
        return value
    return str(value.get("id")) if hasattr(value, "get") else None


def intent_of(obj: Any) -> IntentInfo:
    """A PaymentIntent (an SDK object or a webhook's ``data.object``) as ``IntentInfo``."""
    pi = _plain(obj)
    error = pi.get("last_payment_error") or {}
    return IntentInfo(
        id=pi["id"], status=pi["status"], amount=int(pi["amount"]), currency=pi["currency"],
        customer=_id(pi.get("customer")), payment_method=_id(pi.get("payment_method")),
        metadata=dict(pi.get("metadata") or {}), client_secret=pi.get("client_secret"),
        latest_charge=_id(pi.get("latest_charge")),
        decline_code=(error.get("decline_code") or error.get("code")) if error else None,
        failure_message=error.get("message") if error else None)


def method_of(obj: Any) -> PaymentMethodInfo:
    """A PaymentMethod (an SDK object or a webhook's ``data.object``) as ``PaymentMethodInfo``."""
    pm = _plain(obj)
    kind = pm["type"]
    detail = pm.get(kind) or {}
    return PaymentMethodInfo(id=pm["id"], type=kind, brand=detail.get("brand") or detail.get("bank_name"),
                             last4=detail.get("last4"), customer=_id(pm.get("customer")))


class StripeGateway:
    """The Stripe account of one organization and mode (``StripeAccount``: its secret key, webhook
    secret and ``api_base``, None = Stripe itself)."""

    def __init__(self, account: StripeAccount) -> None:
        self._account = account
        addresses: dict[str, str] = {"api": account.api_base} if account.api_base else {}
        self._client = stripe.StripeClient(account.secret_key, base_addresses=addresses,  # type: ignore[arg-type]
                                           http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS),
                                           max_network_retries=1)
        self._v1 = self._client.v1

    async def customer_exists(self, customer_id: str) -> bool:
        """Whether ``cus_…`` exists (and is not deleted) in this account. Raises ``StripeUnavailable``."""
        try:
            found = await self._v1.customers.retrieve_async(customer_id)
        except stripe.StripeError as exc:
            err = _translate(exc)
            if isinstance(err, StripeRefused) and err.missing:
                return False
            raise err from None
        return not _plain(found).get("deleted", False)

    async def payment_method(self, method_id: str) -> PaymentMethodInfo | None:
        """The PaymentMethod ``pm_…`` (None: no such method). Raises ``StripeUnavailable``."""
        try:
            return method_of(await self._v1.payment_methods.retrieve_async(method_id))
        except stripe.StripeError as exc:
            err = _translate(exc)
            if isinstance(err, StripeRefused) and err.missing:
                return None
            raise err from None

    async def create_customer(self, *, name: str, email: str | None, metadata: dict[str, str],
                              idempotency_key: str) -> str:
        """Create a Stripe customer → its ``cus_…`` id. Raises ``StripeUnavailable``/``StripeRefused``."""
        params: dict[str, Any] = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        try:
            created = await self._v1.customers.create_async(params=params,  # type: ignore[arg-type]
                                                            options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from None
        return str(created["id"])

    async def charge(self, *, amount_cents: int, currency: str, customer: str, payment_method: str,
                     metadata: dict[str, str], idempotency_key: str) -> IntentInfo:
        """Charge a saved method off-session now (a PaymentIntent created with ``confirm`` and
        ``off_session``). A decline returns the failed intent (``status`` ``requires_payment_method``,
        ``decline_code``); the intent's id is then known only when Stripe's error names it. Raises
        ``StripeUnavailable`` (outcome unknown) and ``StripeRefused`` (the request itself was refused)."""
        params: dict[str, Any] = {"amount": amount_cents, "currency": currency.lower(), "customer": customer,
                                  "payment_method": payment_method, "off_session": True, "confirm": True,
                                  "metadata": metadata}
        try:
            pi = await self._v1.payment_intents.create_async(params=params,  # type: ignore[arg-type]
                                                             options={"idempotency_key": idempotency_key})
        except stripe.CardError as exc:
            error = getattr(exc, "error", None)
            failed = getattr(error, "payment_intent", None) if error is not None else None
            if failed:
                return intent_of(failed)
            refused = _refused(exc)
            return IntentInfo(id="", status="requires_payment_method", amount=amount_cents, currency=currency.lower(),
                              customer=customer, payment_method=payment_method, metadata=metadata,
                              decline_code=refused.decline_code, failure_message=str(refused))
        except stripe.StripeError as exc:
            raise _translate(exc) from None
        return intent_of(pi)

    async def create_intent(self, *, amount_cents: int, currency: str, customer: str, metadata: dict[str, str],
                            save_method: bool, idempotency_key: str) -> IntentInfo:
        """A PaymentIntent for a payment page to confirm (its ``client_secret``); ``save_method`` sets
        ``setup_future_usage=off_session`` so Stripe saves the method on ``customer`` for auto-pay."""
        params: dict[str, Any] = {"amount": amount_cents, "currency": currency.lower(), "customer": customer,
                                  "metadata": metadata}
        if save_method:
            params["setup_future_usage"] = "off_session"
        try:
            pi = await self._v1.payment_intents.create_async(params=params,  # type: ignore[arg-type]
                                                             options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from None
        return intent_of(pi)

    async def intent(self, intent_id: str) -> IntentInfo | None:
        """The PaymentIntent ``pi_…`` (None: no such intent). Raises ``StripeUnavailable``."""
        try:
            return intent_of(await self._v1.payment_intents.retrieve_async(intent_id))
        except stripe.StripeError as exc:
            err = _translate(exc)
            if isinstance(err, StripeRefused) and err.missing:
                return None
            raise err from None

    async def cancel_intent(self, intent_id: str) -> None:
        """Cancel a PaymentIntent that was not paid (it can no longer be confirmed); one already
        succeeded, processing or cancelled is left as it is. Raises ``StripeUnavailable``."""
        try:
            await self._v1.payment_intents.cancel_async(intent_id)
        except stripe.StripeError as exc:
            err = _translate(exc)
            if not isinstance(err, StripeRefused):
                raise err from None

    async def find_intent(self, key: str, value: str) -> IntentInfo | None:
        """The PaymentIntent whose metadata ``key`` is ``value`` (Stripe's search API; where a
        Stripe-compatible server does not offer it, the newest ``SCAN_PAGES``×100 intents are read).
        Raises ``StripeUnavailable``."""
        try:
            found = await self._v1.payment_intents.search_async(
                params={"query": f"metadata['{key}']:'{value}'", "limit": 10})
            hits = [intent_of(pi) for pi in found.data]
            return hits[0] if hits else None
        except stripe.StripeError as exc:
            err = _translate(exc)
            if not (isinstance(err, StripeRefused) and err.missing):
                raise err from None
        return await self._scan_intents(key, value)

    async def _scan_intents(self, key: str, value: str) -> IntentInfo | None:
        params: dict[str, Any] = {"limit": 100}
        try:
            for _ in range(SCAN_PAGES):
                page = await self._v1.payment_intents.list_async(params=params)  # type: ignore[arg-type]
                for pi in page.data:
                    if (_plain(pi).get("metadata") or {}).get(key) == value:
                        return intent_of(pi)
                if not page.has_more or not page.data:
                    return None
                params["starting_after"] = page.data[-1]["id"]
        except stripe.StripeError as exc:
            raise _translate(exc) from None
        return None

    async def refund(self, intent_id: str, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        """Refund a succeeded PaymentIntent in full → the refund's ``re_…`` id. Raises
        ``StripeUnavailable``/``StripeRefused``."""
        try:
            refund = await self._v1.refunds.create_async(
                params={"payment_intent": intent_id, "metadata": metadata},
                options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _translate(exc) from None
        return str(refund["id"])

    def event(self, payload: bytes, signature: str) -> dict[str, Any]:
        """A webhook event verified with the connection's signing secret (the SDK's check, 300 s
        tolerance) → the event as a dict. Raises ``ValueError`` when the signature or the payload is bad."""
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._account.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise ValueError(f"Invalid Stripe signature: {exc.user_message or exc}") from None
        return event.to_dict()  # type: ignore[no-any-return]
