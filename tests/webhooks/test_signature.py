"""``monk.webhooks.verify_signature`` and the signing it checks (reference §13.4), against digests
computed here with the standard library, never with Monk's own ``signature``."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.webhooks import (
    InvalidPayload,
    MalformedSignatureHeader,
    NoMatchingSignature,
    TimestampOutsideTolerance,
    new_secret,
    sign,
    verify_signature,
)

SECRET = "whsec_" + "ab" * 32
T = 1_706_540_400
BODY = b'{"id":"inv_1","status":"Paid","createdAt":"2026-01-29T15:00:00.000Z","updatedAt":"2026-01-29T15:00:00.000Z"}'


def _hex(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_fixed_vector() -> None:
    # computed once with hmac and checked with `openssl dgst -sha256 -hmac`: pins the scheme itself
    expected = "8044d8b91104d4836677f894f3c326876e714d31b534dc047c3c8ecf16556803"
    assert _hex(SECRET, T, BODY) == expected
    assert sign(BODY, [SECRET], T) == f"t={T},v1={expected}"
    assert verify_signature(BODY, f"t={T},v1={expected}", SECRET, now=T)["id"] == "inv_1"


def test_the_header_is_the_documented_hmac() -> None:
    assert sign(BODY, [SECRET], T) == f"t={T},v1={_hex(SECRET, T, BODY)}"
    assert verify_signature(BODY, f"t={T},v1={_hex(SECRET, T, BODY)}", SECRET, now=T) == json.loads(BODY)


def test_a_rotation_signs_with_each_secret_and_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_") and len(old) == 6 + 64 and old != new
    header = sign(BODY, [new, old], T)
    assert header == f"t={T},v1={_hex(new, T, BODY)},v1={_hex(old, T, BODY)}"
    assert verify_signature(BODY, header, new, now=T)["id"] == "inv_1"
    assert verify_signature(BODY, header, [old], now=T)["id"] == "inv_1"
    assert verify_signature(BODY, header, ["whsec_other", old], now=T)["id"] == "inv_1"
    with pytest.raises(NoMatchingSignature):
        verify_signature(BODY, header, new_secret(), now=T)


def test_tolerance_edges() -> None:
    header = sign(BODY, [SECRET], T)
    assert verify_signature(BODY, header, SECRET, now=T + 300)
    assert verify_signature(BODY, header, SECRET, now=T - 300)
    for now in (T + 301, T - 301):
        with pytest.raises(TimestampOutsideTolerance, match="Webhook timestamp outside tolerance window"):
            verify_signature(BODY, header, SECRET, now=now)
    assert verify_signature(BODY, header, SECRET, tolerance_s=10_000, now=T + 5_000)


@pytest.mark.parametrize("header", [
    "", "v1=" + "0" * 64, f"t={T}", f"t=abc,v1={'0' * 64}", f"t={T},v1=xyz", f"t={T},v1={'0' * 63}",
    f"t={T},t={T},v1={'0' * 64}", "garbage", f"t={T},v1={'0' * 65}", f"t=-{T},v1={'0' * 64}",
    f"t=\u00b2,v1={'0' * 64}", f"t=\u0661\u0667,v1={'0' * 64}",
    pytest.param(f"t={'1' * 5000},v1={'0' * 64}", id="t-beyond-int"),
])
def test_malformed_headers(header: str) -> None:
    with pytest.raises(MalformedSignatureHeader):
        verify_signature(BODY, header, SECRET, now=T)


def test_unknown_parts_and_spaces_are_tolerated() -> None:
    header = f" t={T} , v2=whatever, v1={_hex(SECRET, T, BODY)} "
    assert verify_signature(BODY, header, SECRET, now=T)["status"] == "Paid"
    assert verify_signature(BODY, f"t={T},v1={_hex(SECRET, T, BODY).upper()}", SECRET, now=T)["status"] == "Paid"


def test_a_changed_body_or_a_non_json_body() -> None:
    header = sign(BODY, [SECRET], T)
    with pytest.raises(NoMatchingSignature):
        verify_signature(BODY.replace(b"Paid", b"Sent"), header, SECRET, now=T)
    with pytest.raises(InvalidPayload):
        verify_signature(b"not json", sign(b"not json", [SECRET], T), SECRET, now=T)
    with pytest.raises(ValueError):
        sign(BODY, [], T)


@given(st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=20), max_size=5),
       st.text(min_size=1, max_size=40), st.integers(min_value=0, max_value=2**40), st.data())
def test_any_signed_body_verifies_and_any_changed_byte_does_not(
        payload: dict, secret: str, t: int, data: st.DataObject) -> None:
    body = json.dumps(payload).encode()
    header = sign(body, [secret], t)
    assert header == f"t={t},v1={_hex(secret, t, body)}"
    assert verify_signature(body, header, secret, now=t) == payload
    i = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    changed = body[:i] + bytes([(body[i] + 1) % 256]) + body[i + 1:]
    with pytest.raises(NoMatchingSignature):
        verify_signature(changed, header, secret, now=t)
