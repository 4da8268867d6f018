"""Offset pagination (reference §1.7): ``limit`` 1..100 with a per-resource default, ``offset``
0..10,000,000 (deeper pages: narrow the filters instead)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Query

from monk.kit.errors import ValidationFailed

MAX_LIMIT = 100
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class Page:
    """A validated ``limit``/``offset`` pair."""

    limit: int
    offset: int


def paginator(default_limit: int) -> Callable[..., Page]:
    """A dependency reading ``limit`` (default ``default_limit``, max 100) and ``offset`` (default 0).

    Raises ``ValidationFailed`` (400) for a value that is not an integer, a limit outside 1..100 or
    an offset outside 0..10,000,000.
    """

    def dependency(
        limit: str | None = Query(None, description=f"1..{MAX_LIMIT}, default {default_limit}"),
        offset: str | None = Query(None, description=f"rows to skip, 0..{MAX_OFFSET:,}, default 0"),
    ) -> Page:
        lim = _int("limit", limit, default_limit)
        off = _int("offset", offset, 0)
        if not 1 <= lim <= MAX_LIMIT:
            raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= off <= MAX_OFFSET:
            raise ValidationFailed(f"offset must be between 0 and {MAX_OFFSET:,}")
        return Page(limit=lim, offset=off)

    return dependency


def _int(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an integer") from None
