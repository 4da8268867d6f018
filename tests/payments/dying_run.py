"""``python -m tests.payments.dying_run``: ``monk payments run`` in a process that dies (``os._exit``,
no cleanup, as under ``kill -9``) right after Stripe answered the first charge, before Monk records it."""

from __future__ import annotations

import os
from typing import Any

from monk.cli import app
from monk.payments import autopay


async def _die(self: Any, attempt_id: str, intent: Any, method: Any = None) -> str:
    os._exit(9)


autopay.Collector._record = _die  # type: ignore[method-assign]

if __name__ == "__main__":
    app(["payments", "run"])
