"""The ASGI entry point used by ``monk serve`` (settings from the environment)."""

from __future__ import annotations

import os

from monk.app import create_app

app = create_app(only=os.environ.get("MONK_SERVE_ONLY") or None,
                 run_worker=os.environ.get("MONK_SERVE_WORKER", "1") == "1")
