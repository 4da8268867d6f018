"""Status changes through the API follow the transition table; a refused one is a 409 in the envelope."""

from __future__ import annotations

from datetime import UTC, datetime

from monk.invoices import repository
from monk.invoices.transitions import Mover
from monk.kit.clock import FrozenClock
from monk.models import Invoice
from monk.models.statuses import InvoiceStatus
from monk.worker.runner import Worker
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s


async def _contract(api: Api) -> dict:
    fee = await s.flat_price(api, "Base", "100.00")
    plan = await s.plan(api, "base", [fee["id"]])
    cust = await s.customer(api, "Corp", "corp")
    return await s.contract(api, cust["id"], plan["id"], "2026-01-01", "2026-03-01")


async def test_a_draft_cannot_be_marked_paid(api: Api, clock: FrozenClock) -> None:
    clock.set(datetime(2025, 12, 15, tzinfo=UTC))
    c = await _contract(api)
    draft = (await s.invoices(api, c["id"]))[0]
    assert draft["status"] == "Drafted"
    err = assert_error(await api.post(f"/v1/invoices/{draft['id']}/mark-paid"), 409, "CONFLICT")
    assert err["message"] == "Invoice is Drafted; only Sent invoices can be marked paid"
    assert (await api.get(f"/v1/invoices/{draft['id']}")).json()["data"]["status"] == "Drafted"


async def test_moves_only_from_the_statuses_the_table_allows(app: object, api: Api, worker: Worker,
                                                             clock: FrozenClock) -> None:
    clock.set(datetime(2026, 1, 2, tzinfo=UTC))
    c = await _contract(api)
    await worker.drain()
    first, second = (await s.invoices(api, c["id"]))[:2]
    assert (first["status"], second["status"]) == ("Sent", "In Progress")  # usage of January runs
    now = clock.now()
    async with app.state.sessions() as session:  # type: ignore[attr-defined]
        # The calendar cancels open invoices only: the finalized one is left as it is.
        moved = await repository.move(session, [first["id"], second["id"]], InvoiceStatus.CANCELLED, Mover.CALENDAR,
                                      now)
        await session.commit()
        assert moved == [second["id"]]
        assert (await session.get(Invoice, first["id"])).status == "Sent"
        assert (await session.get(Invoice, second["id"])).status == "Cancelled"
        # Nothing moves a cancelled invoice, not even to Paid.
        assert await repository.move(session, [second["id"]], InvoiceStatus.PAID, Mover.API, now) == []
    assert_error(await api.post(f"/v1/invoices/{second['id']}/mark-paid"), 409, "CONFLICT")
    r = await api.post(f"/v1/invoices/{first['id']}/mark-paid")
    assert r.status_code == 200 and r.json()["data"]["status"] == "Paid"
