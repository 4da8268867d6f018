"""One transaction per request (``kit.deps.Session``): the session commits once after the endpoint
and before the response; an error rolls everything back; a commit that fails is answered with the
documented envelope, never with the endpoint's success. Side effects follow the commit
(``kit.aftercommit``): a rollback runs none, a commit runs each once, for requests and jobs alike."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from monk.kit.aftercommit import after_commit, pending
from monk.kit.auth import Principal, require
from monk.kit.clock import FrozenClock
from monk.kit.deps import Session
from monk.kit.errors import ValidationFailed
from monk.kit.ids import new_id
from monk.models import Customer
from monk.settings import Settings
from monk.worker.runner import Worker
from tests.conftest import Api, assert_error
from tests.waiting import until

RAN: list[str] = []


def _customer(who: Principal, external_id: str, now: datetime) -> Customer:
    return Customer(id=new_id(), org_id=who.org_id, mode=who.mode, created_at=now, updated_at=now, name="T",
                    external_customer_id=external_id, external_company_ids=[], tags=[], contacts=[])


def _probe_router(clock: FrozenClock) -> APIRouter:
    """Endpoints that only exist in these tests: they write through the request's session without
    flushing, so a unique violation surfaces at the dependency's commit."""
    router = APIRouter()

    @router.post("/test/customers/{external_id}", status_code=201)
    async def add(external_id: str, session: Session, fail: bool = False,
                  who: Principal = Depends(require("customers:write"))) -> dict[str, Any]:
        session.add(_customer(who, external_id, clock.now()))
        session.add(_customer(who, external_id + "-twin" if not fail else external_id, clock.now()))
        after_commit(session, lambda: RAN.append(external_id))
        return {"data": "created"}

    @router.post("/test/refuse/{external_id}", status_code=201)
    async def refuse(external_id: str, session: Session,
                     who: Principal = Depends(require("customers:write"))) -> dict[str, Any]:
        session.add(_customer(who, external_id, clock.now()))
        await session.flush()
        after_commit(session, lambda: RAN.append(external_id))
        raise ValidationFailed("refused after writing")

    return router


async def _customers(app: Any) -> int:
    async with app.state.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(Customer))).scalar_one())


@pytest.fixture
def probe(app: Any, clock: FrozenClock) -> Any:
    app.include_router(_probe_router(clock))
    RAN.clear()
    return app


async def test_an_endpoint_s_writes_are_committed_once_and_its_callbacks_run_once(api: Api, probe: Any) -> None:
    r = await api.post("/test/customers/ok")
    assert r.status_code == 201, r.text
    assert await _customers(probe) == 2
    assert RAN == ["ok"]


async def test_a_failure_at_commit_is_a_409_envelope_with_nothing_stored_and_no_side_effect(
        api: Api, probe: Any) -> None:
    r = await api.post("/test/customers/dup?fail=true")
    assert_error(r, 409, "CONFLICT")
    assert await _customers(probe) == 0
    assert RAN == []
    assert (await api.post("/test/customers/dup")).status_code == 201  # the session was not left broken


async def test_an_error_in_the_endpoint_rolls_back_its_flushed_writes_and_runs_no_callback(
        api: Api, probe: Any) -> None:
    assert_error(await api.post("/test/refuse/gone"), 400, "VALIDATION_ERROR")
    assert await _customers(probe) == 0
    assert RAN == []


async def test_callbacks_follow_a_job_s_commit_and_never_a_rollback(app: Any) -> None:
    ran: list[int] = []
    async with app.state.sessions() as s:
        after_commit(s, lambda: ran.append(1))
        after_commit(s, lambda: ran.append(2))
        assert pending(s) == 2 and ran == []
        await s.commit()
        assert ran == [1, 2] and pending(s) == 0
        await s.commit()  # a later commit does not run them again
        assert ran == [1, 2]
        after_commit(s, lambda: ran.append(3))
        await s.rollback()
        assert pending(s) == 0
        await s.commit()
    async with app.state.sessions() as s:
        after_commit(s, lambda: ran.append(4))  # closed without a commit: dropped
    assert ran == [1, 2]


async def test_a_failing_callback_does_not_stop_the_others(app: Any) -> None:
    ran: list[int] = []

    def boom() -> None:
        raise RuntimeError("side effect failed")

    async with app.state.sessions() as s:
        after_commit(s, boom)
        after_commit(s, lambda: ran.append(1))
        await s.commit()
    assert ran == [1]


async def test_a_legacy_usage_wakes_the_worker_of_the_app(api: Api, app: Any, database_url: str,
                                                         clock: FrozenClock) -> None:
    from tests.e2e import scenario as s

    customer = await s.customer(api, "Wake", "legacy-wake")
    meter = await s.meter(api, "CALLS", "api_call")
    await s.usage_price(api, "Calls", meter["id"], "1.00")
    settings = Settings(database_url=database_url, worker_poll_seconds=120)  # polling alone: 2 minutes
    worker = Worker(app.state.sessions, clock=clock, settings=settings)
    task = asyncio.create_task(worker.run_forever())
    try:
        # the first pass (horizons, matching: nothing pending) is over once it reaches finalization;
        # from then on only a wake-up (or the 2-minute poll) matches a new event
        await until(lambda: worker.passes >= 1, 10, what="the worker's first pass is over")
        r = await api.post("/api/v1/usages", {"customerId": customer["id"], "pricingCode": "calls",
                                              "quantity": 1, "idempotencyKey": "legacy-wake-1"})
        assert r.status_code == 201, r.text

        async def matched() -> bool:
            events = (await api.get("/v1/events")).json()["events"]
            return bool(events) and events[0]["status"] != "pending"
        await until(matched, 10, what="the legacy usage's event is matched")
    finally:
        worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
