"""Bodies that are not JSON: one clear 400 naming the reason and the position, on every endpoint."""

from __future__ import annotations

import pytest

from tests.conftest import Api, assert_error


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/meters", "/v1/events", "/v1/events/batch"])
async def test_a_body_that_is_not_json_says_so(api: Api, path: str) -> None:
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    err = assert_error(await api.client.post(path, content=b"name=acme", headers=headers), 400, "VALIDATION_ERROR")
    assert err["message"] == "body: invalid JSON (Expecting value at line 1 column 1)"
    err = assert_error(await api.client.post(path, content=b'{\n  "name": "acme",\n}', headers=headers), 400)
    assert err["message"] == "body: invalid JSON (Expecting property name enclosed in double quotes at line 3 column 1)"
    if "details" in err:
        assert err["details"] == [{"field": "body", "message": err["message"].removeprefix("body: ")}]
    assert (await api.get("/v1/customers")).json()["total"] == 0
