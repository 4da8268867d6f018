"""``jobs.repository`` on a real database: failure records with backoff, handing items back to
their job when their retry is due, the claim predicates, and forgetting recovered items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.jobs import repository
from monk.kit.jobs import Backoff

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


async def test_record_counts_attempts_and_backs_off(session: AsyncSession) -> None:
    first = await repository.record(session, kind="match", item_id="e1", org_id="o", group_id="c1",
                                    error=ValueError("bad   value\nhere"), now=NOW)
    assert (first.attempts, first.error, first.first_failed_at, first.last_failed_at, first.retry_at) == (
        1, "ValueError: bad value here", NOW, NOW, NOW + timedelta(seconds=30))
    later = NOW + timedelta(minutes=5)
    second = await repository.record(session, kind="match", item_id="e1", org_id="o", group_id="c1",
                                     error=KeyError("k"), now=later, backoff=Backoff(base_seconds=10))
    assert (second.attempts, second.error, second.first_failed_at, second.last_failed_at, second.retry_at) == (
        2, "KeyError: 'k'", NOW, later, later + timedelta(seconds=20))
    other = await repository.record(session, kind="finalize", item_id="e1", org_id=None, group_id=None,
                                    error=RuntimeError("x"), now=NOW)
    assert other.attempts == 1  # another job's record of the same id
    assert [f.item_id for f in await repository.of_kind(session, "match")] == ["e1"]


async def test_hand_back_due_clears_retry_and_keeps_attempts(session: AsyncSession) -> None:
    for i, item in enumerate(("a", "b", "c")):
        await repository.record(session, kind="match", item_id=item, org_id=None, group_id=None,
                                error=ValueError(item), now=NOW + timedelta(seconds=i))
    due = await repository.hand_back_due(session, "match", NOW + timedelta(seconds=31))
    assert [f.item_id for f in due] == ["a", "b"]
    session.expunge_all()
    state = {f.item_id: (f.attempts, f.retry_at) for f in await repository.of_kind(session, "match")}
    assert state == {"a": (1, None), "b": (1, None), "c": (1, NOW + timedelta(seconds=32))}
    assert await repository.hand_back_due(session, "match", NOW + timedelta(seconds=31)) == []
    assert [f.item_id for f in await repository.hand_back_due(session, "match", NOW + timedelta(hours=1), 5)] == ["c"]


async def test_claim_predicates(session: AsyncSession) -> None:
    await repository.record(session, kind="finalize", item_id="inv-1", org_id=None, group_id="contract-1",
                            error=ValueError("x"), now=NOW)

    async def holds(predicate: object) -> bool:
        return bool((await session.execute(select(literal(1)).where(predicate))).scalar_one_or_none())

    soon, after = NOW + timedelta(seconds=1), NOW + timedelta(seconds=31)
    assert await holds(repository.held_back("finalize", literal("contract-1"), soon))
    assert not await holds(repository.held_back("finalize", literal("contract-2"), soon))
    assert not await holds(repository.held_back("finalize", literal("contract-1"), after))
    assert not await holds(repository.held_back("match", literal("contract-1"), soon))
    assert await holds(repository.is_waiting("finalize", literal("inv-1"), soon))
    assert not await holds(repository.is_waiting("finalize", literal("inv-1"), after))
    assert not await holds(repository.is_waiting("finalize", literal("inv-2"), soon))


async def test_clear_forgets_recovered_items(session: AsyncSession) -> None:
    for item in ("a", "b"):
        await repository.record(session, kind="match", item_id=item, org_id=None, group_id=None,
                                error=ValueError(item), now=NOW)
    assert sorted(await repository.clear(session, "match", ["a", "z"])) == ["a"]
    assert await repository.clear(session, "match", []) == []
    assert await repository.clear(session, "finalize", ["b"]) == []
    assert [f.item_id for f in await repository.of_kind(session, "match")] == ["b"]
