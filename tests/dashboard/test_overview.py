"""The overview through HTTP against the real app on both databases: this month's billed and upcoming
revenue, invoices due and overdue, unmatched events, each figure linking to the page that resolves it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.dashboard.test_invoices import _sms
from tests.e2e import scenario as s


def _card(page: str, card: str) -> tuple[str, str]:
    """The link and the big figure of the overview card ``card``."""
    match = re.search(rf'id="{card}" href="([^"]+)">.*?<span class="value">([^<]+)</span>', page, re.S)
    assert match, card
    return match.group(1), match.group(2)


async def test_an_empty_organization_shows_zeros(admin: Browser) -> None:
    page = (await admin.get("/")).text
    assert "<h2>January 2026</h2>" in page
    for card in ("billed", "upcoming", "overdue"):
        assert _card(page, card)[1] in ("$0.00", "0")
    assert _card(page, "unmatched") == ("/usage?tab=unmatched", "0")


async def test_the_figures_follow_the_sms_guides_invoices_and_link_to_their_pages(
        api: Api, admin: Browser, worker: object, clock: FrozenClock) -> None:
    await _sms(api, worker, clock, admin)  # Jan ($350.00, due 01-31) and Feb ($368.00, due 03-03) sent on 02-01
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "nobody", "idempotencyKey": "stray",
                        "timestamp": "2026-02-01T05:00:00Z", "properties": {"quantity": 1}}])
    await worker.drain()  # type: ignore[attr-defined]
    page = (await admin.get("/")).text
    assert "<h2>February 2026</h2>" in page
    assert _card(page, "billed") == ("/invoices", "$368.00")
    assert _card(page, "due") == ("/invoices?status=Sent", "1") and "$368.00 awaiting payment" in page
    assert _card(page, "overdue") == ("/invoices?overdue=1", "1") and "$350.00 past due" in page
    assert _card(page, "unmatched") == ("/usage?tab=unmatched", "1")
    assert _card(page, "upcoming")[1] == "$0.00"
    clock.set(datetime(2026, 3, 1, 1, tzinfo=UTC))  # March's invoice ($350.00 + usage) is dated this month, open
    await admin.relogin()
    march = (await admin.get("/")).text
    assert _card(march, "billed")[1] == "$0.00" and _card(march, "upcoming")[1] == "$365.00"  # 350 + $15 minimum
    await admin.mode("test")
    assert _card((await admin.get("/")).text, "unmatched")[1] == "0"
