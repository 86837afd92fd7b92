"""The webhook channel against a real HTTP receiver on 127.0.0.1 that can fail on purpose.

One call is one attempt (the worker retries): a 2xx is delivered, 408/425/429/5xx and connection
errors may be retried, other 4xx answers are not; the body is signed so the receiver can verify it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.notify.signing import HEADER, BadSignature, sign, verify
from slakeeper.adapters.notify.webhook import WebhookChannel
from slakeeper.service.records import Message
from tests.receivers import HttpReceiver

SECRET = "s3cret"
NOW = 1_800_000_000.0
ALERT: dict[str, Any] = {
    "id": "alert-42",
    "kind": "breach",
    "threshold": "breach",
    "ticket": "T-1",
    "metric": "resolution",
    "cycle": 1,
    "time_left_s": 0,
    "actions": [],
}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=5) as c:
        yield c


def channel(url: str, client: HttpClient) -> WebhookChannel:
    return WebhookChannel(url, SECRET, client, clock=lambda: NOW)


def deliver(url: str, client: HttpClient, delivery: int = 1) -> Any:
    return channel(url, client).deliver(Message(ALERT, (), delivery))


def signature(request: dict[str, Any]) -> str | None:
    found = {k.lower(): v for k, v in request["headers"].items()}
    return found.get(HEADER.lower())


def test_a_message_arrives_signed_so_the_receiver_can_verify_it(
    receiver: HttpReceiver, client: HttpClient
) -> None:
    attempt = deliver(receiver.url, client, delivery=3)
    assert attempt.delivered
    assert attempt.status == 200
    assert attempt.error == ""
    got = receiver.requests[0]
    assert got["path"] == "/hook"
    assert json.loads(got["body"]) == {**ALERT, "delivery": 3}
    header = signature(got)
    assert header is not None
    assert header.startswith(f"t={int(NOW)},v1=")
    verify(SECRET, header, got["body"], now=NOW)  # does not raise
    with pytest.raises(BadSignature):
        verify(SECRET, header, got["body"] + b" ", now=NOW)
    with pytest.raises(BadSignature):
        verify("other", header, got["body"], now=NOW)
    with pytest.raises(BadSignature):
        verify(SECRET, header, got["body"], now=NOW + 3600)


@pytest.mark.parametrize("status", [201, 202, 204])
def test_any_2xx_is_delivered(receiver: HttpReceiver, client: HttpClient, status: int) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = deliver(receiver.url, client)
    assert (attempt.delivered, attempt.status) == (True, status)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_a_transient_failure_may_be_retried(
    receiver: HttpReceiver, client: HttpClient, status: int
) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = deliver(receiver.url, client)
    assert not attempt.delivered
    assert (attempt.status, attempt.retryable) == (status, True)
    assert attempt.error.startswith(f"HTTP {status}")
    assert len(receiver.requests) == 1  # one call, one attempt: the worker retries
    assert deliver(receiver.url, client, delivery=2).delivered


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_client_error_is_not_retried(
    receiver: HttpReceiver, client: HttpClient, status: int
) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = deliver(receiver.url, client)
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, status, False)
    assert attempt.error.startswith(f"HTTP {status}")


def test_no_answer_at_all_may_be_retried_and_says_why(client: HttpClient) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    attempt = deliver(f"http://127.0.0.1:{port}/hook", client)
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, None, True)
    assert "Connection refused" in attempt.error


def test_the_signature_is_over_timestamp_and_body() -> None:
    header = sign(SECRET, b"{}", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert len(header.split("v1=")[1]) == 64


def test_a_keep_alive_connection_the_server_closed_is_reopened() -> None:
    """A server that closes each connection after one answer (without saying so): the client's
    idle connection is stale on the next request, which is sent again on a new connection."""
    bodies: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(3):
            connection, _ = server.accept()
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                while len(body) < length:
                    body += connection.recv(65536)
                bodies.append(body)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    with HttpClient(timeout=5) as client:
        for n in range(3):
            answer = client.post(url, f'{{"n": {n}}}'.encode(), {})
            assert answer.status_code == 200
    thread.join(5)
    server.close()
    assert bodies == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']


def test_a_receiver_slower_than_the_timeout_is_a_retryable_failure(
    receiver: HttpReceiver,
) -> None:
    receiver.delay_s = 1.0
    with HttpClient(timeout=0.2) as client:
        attempt = WebhookChannel(receiver.url, SECRET, client).deliver(
            Message({"id": "alert-1"}, (), 1)
        )
    assert attempt.status is None
    assert attempt.retryable
    assert "timed out" in attempt.error
