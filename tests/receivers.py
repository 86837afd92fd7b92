"""Real receivers on 127.0.0.1 for the channel and worker tests.

:class:`HttpReceiver` records every request, can answer with failures on purpose (a number of
times, or with a given probability) and counts the alert ids it accepted per path, so a test can
check that every alert arrived and none twice even when a sender retries.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HttpReceiver:
    """An HTTP server on 127.0.0.1 that records requests and fails on purpose."""

    def __init__(self, path: str = "/hook") -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures = 0  # answer this many requests with fail_status first
        self.fail_status = 503
        self.fail_rate = 0.0  # then fail this share of requests at random
        self.delay_s = 0.0  # wait this long before answering
        # (path, alert id) -> successful deliveries: one alert may go to several destinations
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.rng = random.Random(7)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._answer(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + path
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            if self.failures > 0:
                self.failures -= 1
                return self.fail_status
            if self.fail_rate and self.rng.random() < self.fail_rate:
                return self.fail_status
            alert = _alert_id(body)
            if alert is not None:
                self.accepted[(path, alert)] += 1
        return 200

    def json(self, index: int = -1) -> Any:
        return json.loads(self.requests[index]["body"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _alert_id(body: bytes) -> str | None:
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found.get("id") if isinstance(found, dict) and isinstance(found.get("id"), str) else None
