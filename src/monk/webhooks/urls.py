"""Which endpoint URLs Monk sends to (an extension: reference §13 keeps endpoints in the dashboard).

``https://`` only, except ``http://`` to loopback (``localhost``, ``127.0.0.0/8``, ``::1``) for
development. A host must resolve, and every address it resolves to must be public: private,
link-local (cloud metadata at 169.254.169.254), shared (100.64.0.0/10), reserved, multicast and
unspecified addresses are refused, unless ``MONK_WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is set. Loopback is
always allowed. The check runs when an endpoint is saved and again before every attempt (a name
that later resolves elsewhere is refused then); redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
RESOLVE_TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 60.0

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why (shown to the client as a 400, or as
    an attempt's error)."""


def parse(url: str) -> tuple[str, str]:
    """``(scheme, host)`` of a well-formed endpoint URL. Raises ``UnsafeUrl`` for a URL longer than
    2,048 characters, another scheme, no host, credentials in the URL, or plain ``http`` to a host
    that is not loopback."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"url must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise UnsafeUrl(f"url is not a valid URL ({exc})") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise UnsafeUrl("url must be an https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("url must not carry credentials")
    if scheme == "http" and not _loopback_name(host):
        raise UnsafeUrl("url must use https:// (http:// is allowed only for localhost and 127.0.0.1)")
    return scheme, host


def _loopback_name(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    address = _literal(host)
    return address is not None and address.is_loopback


def _literal(host: str) -> IP | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(address: IP, *, allow_private: bool) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it may."""
    if address.is_loopback:
        return None
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a unicast address"
    if not address.is_global and not allow_private:
        return (f"{address} is a private, link-local or reserved address "
                "(set MONK_WEBHOOK_ALLOW_PRIVATE_NETWORKS to allow it)")
    return None


class Resolver:
    """Resolves endpoint hosts and checks their addresses, caching answers for ``CACHE_SECONDS``."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._cache: dict[str, tuple[float, list[IP]]] = {}

    async def addresses(self, host: str) -> list[IP]:
        """Every address ``host`` resolves to. Raises ``UnsafeUrl`` when it does not resolve."""
        literal = _literal(host)
        if literal is not None:
            return [literal]
        hit = self._cache.get(host)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM),
                                           RESOLVE_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            raise UnsafeUrl(f"host '{host}' does not resolve") from None
        found = [a for a in (_literal(str(info[4][0]).split("%")[0]) for info in infos) if a is not None]
        if not found:
            raise UnsafeUrl(f"host '{host}' does not resolve")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[host] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    async def check(self, url: str) -> None:
        """Raise ``UnsafeUrl`` unless ``url`` is well formed and every address of its host may
        receive webhooks."""
        _, host = parse(url)
        for address in await self.addresses(host):
            reason = refusal(address, allow_private=self.allow_private)
            if reason is not None:
                raise UnsafeUrl(f"url refused: {reason}")
