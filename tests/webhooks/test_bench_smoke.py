"""The webhook benchmark runs end to end on a tiny backlog (its figures are printed by
``monk bench-webhooks``, never asserted here)."""

from __future__ import annotations

from monk.bench.webhooks import run, table


def test_the_webhook_benchmark_delivers_every_delivery() -> None:
    results = run(None, deliveries=40, endpoints=2, rounds=1)
    assert [(r["hanging"], r["deliveries"]) for r in results] == [(False, 40), (True, 40)]
    assert "B: one endpoint hanging" in table(results)
