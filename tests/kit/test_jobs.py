"""The job model's isolation and backoff (kit/jobs.py), on plain items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError

from monk.kit.jobs import Backoff, error_text, run_isolated


class Job:
    """Processes batches; a batch holding a poison item fails as a whole (nothing is kept)."""

    def __init__(self, poison: set[int]) -> None:
        self.poison = poison
        self.done: list[int] = []
        self.aside: list[int] = []
        self.runs = 0

    async def run(self, batch: Sequence[int]) -> None:
        self.runs += 1
        if self.poison & set(batch):
            raise ValueError(f"poison in {len(batch)}")
        self.done.extend(batch)

    async def set_aside(self, item: int, error: BaseException) -> None:
        assert isinstance(error, ValueError)
        self.aside.append(item)


async def test_the_common_path_is_one_run() -> None:
    job = Job(set())
    assert await run_isolated(list(range(1000)), job.run, job.set_aside, job="t") == 0
    assert job.runs == 1 and job.done == list(range(1000))


async def test_one_poison_item_costs_a_logarithmic_number_of_runs() -> None:
    job = Job({637})
    assert await run_isolated(list(range(1024)), job.run, job.set_aside, job="t") == 1
    assert job.aside == [637] and sorted(job.done) == [i for i in range(1024) if i != 637]
    assert job.runs == 1 + 2 * 10  # the whole batch, then two halves at each of 10 levels


@given(st.lists(st.integers(0, 99), unique=True, max_size=100), st.sets(st.integers(0, 99)))
async def test_every_item_is_either_done_once_or_set_aside(items: list[int], poison: set[int]) -> None:
    job = Job(poison)
    aside = await run_isolated(items, job.run, job.set_aside, job="t")
    assert sorted(job.aside) == sorted(set(items) & poison) and aside == len(job.aside)
    assert sorted(job.done) == sorted(set(items) - poison) and len(job.done) == len(set(job.done))


async def test_a_transient_failure_is_not_the_item_s_fault() -> None:
    async def run(_: Sequence[int]) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def set_aside(_: int, __: BaseException) -> None:
        raise AssertionError("nothing may be set aside")

    with pytest.raises(OperationalError):
        await run_isolated([1, 2, 3], run, set_aside, job="t")


def test_backoff_doubles_up_to_its_cap() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    b = Backoff()
    assert [(b.retry_at(now, n) - now).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert b.retry_at(now, 8) - now == timedelta(hours=1) and b.retry_at(now, 10_000) - now == timedelta(hours=1)


def test_error_text_is_one_bounded_line() -> None:
    text = error_text(ValueError("a\nb " + "x" * 1000))
    assert text.startswith("ValueError: a b x") and len(text) == 500 and text.endswith("…")
