"""The Stripe connection per organization and mode (issue: getting paid, step 2): secrets sealed with
``MONK_SECRET_KEY`` and never returned, keys of the connection's mode only, full-access keys only, a
clear 409 without a server key; ``monk stripe connect`` prints the webhook path last."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from monk.app import create_app
from monk.kit.clock import FrozenClock
from monk.kit.secrets import Sealer, SecretKeyMissing, new_key
from monk.settings import Settings
from tests.conftest import SECRET_KEY, Api

LIVE_SK = "sk_live_51AbCdEfGhIjKlMnOp4242"
TEST_SK = "sk_test_51AbCdEfGhIjKlMnOp9999"
WHSEC = "whsec_0123456789abcdef"


async def _stored(app: Any) -> list[tuple[str, str, str, str]]:
    async with app.state.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT mode, secret_key_sealed, webhook_secret_sealed, key_last4 "
                                           "FROM stripe_connections ORDER BY mode"))).all()
    return [tuple(r) for r in rows]


async def test_connect_seals_the_secrets_and_never_returns_them(api: Api, app: Any) -> None:
    assert (await api.get("/v1/payments/stripe")).status_code == 404
    r = await api.put("/v1/payments/stripe", {"secretKey": LIVE_SK, "webhookSecret": WHSEC,
                                              "apiBase": "http://127.0.0.1:8420/"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["mode"], data["keyLast4"], data["apiBase"]) == ("live", "4242", "http://127.0.0.1:8420")
    assert data["webhookPath"].startswith("/v1/payments/stripe/webhooks/") and data["webhookPath"].endswith("/live")
    assert LIVE_SK not in r.text and WHSEC not in r.text
    assert (await api.get("/v1/payments/stripe")).json()["data"] == data
    [(mode, sealed_key, sealed_whsec, last4)] = await _stored(app)
    assert LIVE_SK not in sealed_key and WHSEC not in sealed_whsec and (mode, last4) == ("live", "4242")
    sealer = Sealer(SECRET_KEY)
    assert (sealer.open(sealed_key), sealer.open(sealed_whsec)) == (LIVE_SK, WHSEC)
    with pytest.raises(SecretKeyMissing):
        Sealer(new_key()).open(sealed_key)  # another server key opens nothing
    # Each mode has its own connection, with keys of that mode only.
    test_key = await api.new_key(["*"], mode="test")
    assert (await api.put("/v1/payments/stripe", {"secretKey": LIVE_SK, "webhookSecret": WHSEC},
                          key=test_key)).status_code == 400
    r = await api.put("/v1/payments/stripe", {"secretKey": TEST_SK, "webhookSecret": WHSEC}, key=test_key)
    assert r.status_code == 200 and r.json()["data"]["mode"] == "test"
    rotated = await api.put("/v1/payments/stripe", {"secretKey": "rk_live_rotated0000001111", "webhookSecret": WHSEC})
    assert rotated.status_code == 200 and rotated.json()["data"]["keyLast4"] == "1111"
    assert [(m, last4) for m, _, _, last4 in await _stored(app)] == [("live", "1111"), ("test", "9999")]
    assert (await api.delete("/v1/payments/stripe")).json() == {"data": {"success": True}}
    assert (await api.delete("/v1/payments/stripe")).status_code == 404
    assert [m for m, *_ in await _stored(app)] == ["test"]


async def test_bad_input_and_scopes_change_nothing(api: Api, app: Any) -> None:
    for body in ({"secretKey": TEST_SK, "webhookSecret": WHSEC},  # a test key on a live connection
                 {"secretKey": "pk_live_publishable0000", "webhookSecret": WHSEC},
                 {"secretKey": LIVE_SK, "webhookSecret": "not-a-whsec"},
                 {"secretKey": LIVE_SK, "webhookSecret": WHSEC, "apiBase": "ftp://x"},
                 {"secretKey": LIVE_SK}, {"secretKey": LIVE_SK, "webhookSecret": WHSEC, "extra": 1}):
        r = await api.put("/v1/payments/stripe", body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR", (body, r.text)
    narrow = await api.new_key(["invoices:write", "contracts:write"])
    r = await api.put("/v1/payments/stripe", {"secretKey": LIVE_SK, "webhookSecret": WHSEC}, key=narrow)
    assert r.status_code == 403
    assert await _stored(app) == []


async def test_without_a_server_key_connecting_is_a_clear_409(database_url: str, clock: FrozenClock) -> None:
    application = create_app(Settings(database_url=database_url, rate_limit_per_minute=0), clock=clock,
                             run_worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://monk.test") as client:
            api = Api(client, "")
            api.key = await api.new_key(["*"])
            r = await api.put("/v1/payments/stripe", {"secretKey": LIVE_SK, "webhookSecret": WHSEC})
            assert r.status_code == 409 and "MONK_SECRET_KEY" in r.json()["error"]["message"], r.text
            assert await _stored(application) == []
    finally:
        await application.state.engine.dispose()


def test_monk_stripe_connect_prints_the_webhook_path_last(tmp_path: Path) -> None:
    env = {**os.environ, "MONK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def monk(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "monk.cli", *args], env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=60)

    assert monk("migrate").returncode == 0
    key = monk("secret-key").stdout.strip()
    Sealer(key)  # a usable key
    args = ("stripe", "connect", "--mode", "test", "--secret-key", TEST_SK, "--webhook-secret", WHSEC,
            "--api-base", "http://127.0.0.1:8420", "--org", "acme")
    missing = monk(*args)
    assert missing.returncode == 1 and "MONK_SECRET_KEY" in missing.stderr
    done = monk(*args, extra={"MONK_SECRET_KEY": key})
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("/v1/payments/stripe/webhooks/") and last.endswith("/test")
    wrong = monk("stripe", "connect", "--mode", "live", "--secret-key", TEST_SK, "--webhook-secret", WHSEC,
                 extra={"MONK_SECRET_KEY": key})
    assert wrong.returncode == 1 and "sk_live_" in wrong.stderr
