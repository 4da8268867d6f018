"""The one policy hook every authenticated request passes, on the Monk API (``auth.require``) and on
the Events API fast path (``auth.authorize``) alike: scopes today; rate limits and credit-budget
checks are to be written here, once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monk.kit.errors import Forbidden

if TYPE_CHECKING:  # kit.auth calls this hook; the type alone is needed here
    from monk.kit.auth import Principal


def admit(principal: Principal, scope: str) -> None:
    """Let ``principal`` do what ``scope`` names, or raise ``Forbidden`` (403, the documented message)."""
    if not principal.allows(scope):
        raise Forbidden(f"API key does not have the required permission: {scope}")
