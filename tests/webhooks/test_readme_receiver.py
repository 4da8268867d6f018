"""The receiver in the README ("Receiving webhooks") runs as printed: it verifies, refuses bad
signatures and stale timestamps with 401, and handles a retried delivery once."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec_" + "cd" * 32


def _receiver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    text = README.read_text()
    section = text[text.index("## Receiving webhooks"):]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert code is not None
    monkeypatch.setenv("MONK_WEBHOOK_SECRETS", f"whsec_new,{SECRET}")
    namespace: dict[str, Any] = {"__name__": "readme_receiver"}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    return namespace


def _headers(body: bytes, delivery_id: str, *, t: int | None = None, secret: str = SECRET) -> dict[str, str]:
    t = int(time.time()) if t is None else t
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Monk-Event": "invoice.updated", "X-Monk-Delivery-Id": delivery_id,
            "X-Monk-Signature": f"t={t},v1={v1}"}


async def test_the_readme_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = _receiver(monkeypatch)
    body = (b'{"id":"inv_1","status":"Paid","createdAt":"2026-01-29T15:00:00.000Z",'
            b'"updatedAt":"2026-01-29T15:00:00.000Z"}')
    transport = httpx.ASGITransport(app=ns["app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        for _ in range(2):  # a retry of the same delivery is acknowledged and not processed again
            r = await client.post("/monk/webhooks", content=body, headers=_headers(body, "d-1"))
            assert r.status_code == 200, r.text
        assert ns["processed"] == ["d-1"]
        r = await client.post("/monk/webhooks", content=body, headers=_headers(body, "d-2", secret="whsec_wrong"))
        assert (r.status_code, r.json()) == (401, {"error": "Invalid signature"})
        r = await client.post("/monk/webhooks", content=body, headers=_headers(body, "d-3", t=int(time.time()) - 301))
        assert r.status_code == 401
        r = await client.post("/monk/webhooks", content=body + b" ", headers=_headers(body, "d-4"))
        assert r.status_code == 401
    assert ns["processed"] == ["d-1"]
