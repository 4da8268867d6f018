"""Payment links (getting paid, item 7): signed, valid 90 days from finalization, refused when altered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monk.payments.links import LinkRefused, PaymentLinks
from monk.settings import Settings
from tests.conftest import SECRET_KEY

FINALIZED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
LINKS = PaymentLinks.from_settings(Settings(secret_key=SECRET_KEY, public_url="https://billing.example.com/"))


def test_a_link_names_its_invoice_until_ninety_days_after_finalization() -> None:
    assert LINKS is not None
    url = LINKS.url("inv-1", FINALIZED)
    assert url.startswith("https://billing.example.com/pay/inv-1.")
    token = url.rsplit("/", 1)[1]
    assert LINKS.open(token, now=FINALIZED + timedelta(days=90) - timedelta(seconds=1)) == "inv-1"
    with pytest.raises(LinkRefused) as refused:
        LINKS.open(token, now=FINALIZED + timedelta(days=90))
    assert refused.value.reason == "expired"
    assert LINKS.token("inv-1", FINALIZED) == token  # the same link on every read


@pytest.mark.parametrize("change", [
    lambda t: t.replace("inv-1", "inv-2", 1),  # another invoice
    lambda t: t.split(".")[0] + "." + str(int(t.split(".")[1]) + 86400) + "." + t.split(".")[2],  # a later expiry
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # a signature changed
    lambda t: t.split(".")[0], lambda t: "", lambda t: "a.b.c", lambda t: t + "." + t,
])
def test_an_altered_token_is_refused(change: object) -> None:
    assert LINKS is not None
    token = LINKS.token("inv-1", FINALIZED)
    with pytest.raises(LinkRefused) as refused:
        LINKS.open(change(token), now=FINALIZED)  # type: ignore[operator]
    assert refused.value.reason == "tampered"


def test_another_server_key_opens_nothing_and_no_key_makes_no_links() -> None:
    from monk.kit.secrets import new_key

    other = PaymentLinks.from_settings(Settings(secret_key=new_key()))
    assert other is not None and LINKS is not None
    with pytest.raises(LinkRefused):
        other.open(LINKS.token("inv-1", FINALIZED), now=FINALIZED)
    assert PaymentLinks.from_settings(Settings(secret_key="")) is None
