"""A minimal HTTP/1.1 keep-alive client for load generation (one request in flight per connection).

Much cheaper per request than a general client, so a single load process can drive thousands of
requests a second without being the bottleneck. Only what Monk's server sends is understood:
responses framed by ``Content-Length``.
"""

from __future__ import annotations

import asyncio
import socket


class ConnectionLost(Exception):
    """The server closed or reset the connection before a full response arrived."""


class HttpConnection:
    """One keep-alive connection to ``host:port``; reconnects lazily after a failure."""

    def __init__(self, host: str, port: int, *, authorization: str | None = None) -> None:
        self.host = host
        self.port = port
        self._prefix = f"Host: {host}:{port}\r\n"
        if authorization:
            self._prefix += f"Authorization: {authorization}\r\n"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        """Close the socket (the next request reconnects)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    def build(self, method: str, path: str, body: bytes | None = None) -> bytes:
        """The request bytes (build once, send many times)."""
        head = f"{method} {path} HTTP/1.1\r\n{self._prefix}"
        if body is None:
            return (head + "\r\n").encode()
        return (head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send prepared request bytes; returns ``(status, headers, body)``.

        Raises ``ConnectionLost`` (or ``OSError`` when the server cannot be reached).
        """
        if self._writer is None:
            await self._connect()
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await self._reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError) as exc:
            self.close()
            raise ConnectionLost(str(exc)) from exc
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body
