"""The webhook channel against a real HTTP receiver on 127.0.0.1 that can fail on purpose."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from slakeeper.adapters.notify.signing import HEADER, BadSignature, sign, verify
from slakeeper.adapters.notify.webhook import WebhookChannel

SECRET = "s3cret"
NOW = 1_800_000_000.0


class Receiver:
    """Records every request; answers ``failures`` times with ``fail_status`` before succeeding."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures = 0
        self.fail_status = 503
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = 200
                if receiver.failures > 0:
                    receiver.failures -= 1
                    status = receiver.fail_status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def channel(url: str, sleeps: list[float], attempts: int = 4) -> WebhookChannel:
    return WebhookChannel(
        url,
        SECRET,
        timeout_s=2,
        attempts=attempts,
        backoff_s=1,
        max_backoff_s=8,
        clock=lambda: NOW,
        sleep=sleeps.append,
        rng=random.Random(1),
    )


def test_a_message_arrives_signed_so_the_receiver_can_verify_it(receiver: Receiver) -> None:
    delivery = channel(receiver.url, []).send({"alert": "a-1", "ticket": "T-1"})
    assert delivery.delivered
    assert len(delivery.attempts) == 1
    got = receiver.requests[0]
    assert json.loads(got["body"]) == {"alert": "a-1", "ticket": "T-1"}
    verify(SECRET, got["headers"][HEADER], got["body"], now=NOW)  # does not raise
    with pytest.raises(BadSignature):
        verify(SECRET, got["headers"][HEADER], got["body"] + b" ", now=NOW)
    with pytest.raises(BadSignature):
        verify("other", got["headers"][HEADER], got["body"], now=NOW)
    with pytest.raises(BadSignature):
        verify(SECRET, got["headers"][HEADER], got["body"], now=NOW + 3600)


def test_transient_failures_are_retried_with_growing_jittered_waits(receiver: Receiver) -> None:
    receiver.failures = 2
    sleeps: list[float] = []
    delivery = channel(receiver.url, sleeps).send({"alert": "a-2"})
    assert delivery.delivered
    assert [a.status for a in delivery.attempts] == [503, 503, 200]
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1
    assert 0 <= sleeps[1] <= 2
    assert [r["headers"]["X-Slakeeper-Attempt"] for r in receiver.requests] == ["1", "2", "3"]


def test_a_message_that_keeps_failing_is_dead_after_the_last_attempt(receiver: Receiver) -> None:
    receiver.failures = 10
    sleeps: list[float] = []
    delivery = channel(receiver.url, sleeps, attempts=3).send({"alert": "a-3"})
    assert delivery.dead
    assert len(delivery.attempts) == 3
    assert len(sleeps) == 2


def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.failures, receiver.fail_status = 1, 400
    delivery = channel(receiver.url, []).send({"alert": "a-4"})
    assert delivery.dead
    assert [a.status for a in delivery.attempts] == [400]


def test_no_answer_at_all_is_an_attempt_with_its_error() -> None:
    delivery = channel("http://127.0.0.1:9/nowhere", [], attempts=2).send({"alert": "a-5"})
    assert delivery.dead
    assert all(a.status is None and a.error for a in delivery.attempts)


def test_the_signature_is_over_timestamp_and_body() -> None:
    header = sign(SECRET, b"{}", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert len(header.split("v1=")[1]) == 64
