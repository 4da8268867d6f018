"""The ingestion fast path (``events.endpoints.IngestFastPath``) serves exactly the routes registered
for it, once, in the router (so the OpenAPI document and the fast path cannot drift apart)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from monk.events import endpoints


def test_the_fast_path_serves_exactly_the_ingestion_routes_of_the_router() -> None:
    fast = dict(endpoints._FAST_PATHS)
    routed = {r.path: r.endpoint for r in endpoints.router.routes
              if isinstance(r, APIRoute) and "POST" in r.methods and r.endpoint in fast.values()}
    assert set(fast) == {"/v1/events", "/v1/events/batch"}
    assert fast == routed
