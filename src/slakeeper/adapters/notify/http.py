"""A small HTTP client for the channels: keep-alive connections per thread, one timeout.

The worker sends from a pool of threads; each thread keeps one connection per host open
(``http.client``), which costs a third of what a general-purpose client does per request — the
difference between catching up at hundreds and at thousands of alerts a second. Redirects are not
followed (a webhook that moved is an error to see, not to chase). A connection the server closed
while idle is reopened and the request sent once more; a receiver that got it the first time
deduplicates on the alert id.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class HttpError(Exception):
    """No answer came: the connection failed or timed out."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status_code: int
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return orjson.loads(self.content)


class HttpClient:
    def __init__(self, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self, scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None = getattr(
            self._local, "pool", None
        )
        if pool is None:
            pool = self._local.pool = {}
        key = (scheme, host, port)
        found = pool.get(key)
        if found is None:
            if scheme == "https":
                found = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=self._ssl
                )
            else:
                found = http.client.HTTPConnection(host, port, timeout=self.timeout)
            pool[key] = found
            with self._lock:
                self._all.append(found)
        return found

    def post(self, url: str, content: bytes, headers: dict[str, str]) -> HttpAnswer:
        return self.request("POST", url, content, headers)

    def request(
        self, method: str, url: str, content: bytes | None, headers: dict[str, str]
    ) -> HttpAnswer:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"not an http(s) URL: {url!r}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = self._connection(parts.scheme, parts.hostname, parts.port)
        reused = connection.sock is not None
        for _ in range(2):
            try:
                connection.request(method, path, body=content, headers=headers)
                answer = connection.getresponse()
                body = answer.read()
                if answer.will_close:
                    connection.close()
                return HttpAnswer(answer.status, body)
            except _STALE as exc:
                connection.close()
                if not reused:
                    raise HttpError(f"{type(exc).__name__}: {exc}") from None
                reused = False  # the idle connection was closed by the server: once more
            except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a
                # header or URL that cannot be sent (not latin-1, a line break)
                connection.close()
                text = str(exc) or type(exc).__name__
                raise HttpError(f"{type(exc).__name__}: {text}") from None
        raise HttpError("the connection was closed twice")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
