"""A minimal HTTP/1.1 client on asyncio streams: the load driver's only network code.

Why not httpx or aiohttp: on a 2-core machine every microsecond the driver spends is taken from
the server it measures. This client formats a request with one f-string, reads the head with one
``readuntil`` and the body with one ``readexactly``; it keeps the connection alive when the server
allows it (gunicorn gthread) and reconnects when it does not (gunicorn sync closes each one).
Only 127.0.0.1 is ever contacted (bench/run.py passes no other host).
"""
from __future__ import annotations

import asyncio

REQUEST_TIMEOUT_SECONDS = 30.0


class HttpError(Exception):
    """The connection failed or the response could not be read."""


class HttpConnection:
    def __init__(self, host: str, port: int) -> None:
        if host != "127.0.0.1":
            raise ValueError("the benchmark only ever targets 127.0.0.1")
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._host_header = f"{host}:{port}"

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, *, headers: str = "", body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request; ``headers`` is preformatted ``Name: value\\r\\n`` lines."""
        try:
            return await asyncio.wait_for(
                self._request(method, path, headers, body), REQUEST_TIMEOUT_SECONDS
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    async def _request(self, method: str, path: str, headers: str, body: bytes) -> tuple[int, bytes]:
        reused = self._writer is not None
        if not reused:
            await self._connect()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host_header}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        try:
            self._writer.write(head + body if body else head)
            status, response_body, keep = await self._read_response()
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            # A kept-alive connection the server had already closed: once more on a fresh one.
            self.close()
            await self._connect()
            self._writer.write(head + body if body else head)
            status, response_body, keep = await self._read_response()
        if not keep:
            self.close()
        return status, response_body

    async def _read_response(self) -> tuple[int, bytes, bool]:
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        version, status_text = lines[0].split(" ", 2)[:2]
        length = None
        chunked = False
        keep = version == "HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection":
                keep = value.strip().lower() == "keep-alive" or (
                    keep and value.strip().lower() != "close"
                )
        if chunked:
            body = await self._read_chunked()
        elif length is not None:
            body = await self._reader.readexactly(length) if length else b""
        else:  # no length: the body runs to the end of the connection
            body = await self._reader.read()
            keep = False
        return int(status_text), body, keep

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)
