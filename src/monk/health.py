"""Liveness and readiness probes (unauthenticated)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from monk.kit import deps
from monk.kit.db import ping
from monk.kit.schemas import ResponseModel

router = APIRouter(tags=["health"])


class Health(ResponseModel):
    """``{"status": "ok"}``, or ``{"status": "unavailable"}`` when the database does not answer."""

    status: Literal["ok", "unavailable"]


@router.get("/health/live", response_model=Health)
async def live() -> dict[str, str]:
    """The process is up: ``{"status": "ok"}``."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=None, responses={
    200: {"model": Health, "description": "The database answers"},
    503: {"model": Health, "description": "The database does not answer (`Retry-After`)"}})
async def ready(engine: deps.Engine) -> JSONResponse:
    """The database answers: 200 ``{"status": "ok"}``, else 503 ``{"status": "unavailable"}``."""
    try:
        await ping(engine)
    except Exception:  # noqa: BLE001 - any failure means not ready
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Retry-After": "1"})
    return JSONResponse({"status": "ok"})
