"""Slack, Teams, WhatsApp and email channels against real receivers on 127.0.0.1.

The HTTP channels post to :class:`tests.receivers.HttpReceiver`; the email channel talks to an
aiosmtpd server that requires STARTTLS (a self-signed certificate made here with the ``openssl``
CLI and trusted through the channel's SSL context) and AUTH over TLS. Each call is one attempt:
what matters is whether it was delivered and, when not, whether a retry could help.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from slakeeper.adapters.notify.email import EmailChannel
from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.notify.render import Renderer
from slakeeper.adapters.notify.slack import SlackChannel
from slakeeper.adapters.notify.teams import TeamsChannel
from slakeeper.adapters.notify.whatsapp import WhatsAppChannel
from slakeeper.service.records import Message
from tests.messages import alert_message
from tests.receivers import HttpReceiver

TOKEN = "EAAG-test-token"
LINK = "https://desk.example.com/tickets/T-1"


def alert(**changes: Any) -> dict[str, Any]:
    return alert_message(**{"service": None, "group": "tier1", **changes})


ESCALATION = alert(
    kind="escalation",
    threshold="escalation 2",
    level=2,
    time_left_s=-3600,
    link=LINK,
    actions=[{"kind": "reassign", "group": "tier2"}],
)


def message(payload: dict[str, Any] | None = None, *to: str, delivery: int = 1) -> Message:
    return Message(payload if payload is not None else alert(), tuple(to), delivery)


def header(request: dict[str, Any], name: str) -> str | None:
    found = {k.lower(): v for k, v in request["headers"].items()}
    return found.get(name.lower())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=5) as c:
        yield c


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver("/services/T000/B000/XXXX")
    yield r
    r.close()


def broken_renderer(tmp_path: Path, name: str) -> Renderer:
    (tmp_path / name).write_text("{{ no_such_key }}")
    return Renderer(tmp_path)


# ---- Slack ------------------------------------------------------------------------------------


def test_slack_gets_block_kit_with_header_body_button_and_alert_id(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    attempt = SlackChannel(receiver.url, client, renderer).deliver(message(ESCALATION))
    assert attempt.delivered
    assert attempt.status == 200
    got = receiver.requests[0]
    assert got["path"] == "/services/T000/B000/XXXX"
    assert header(got, "Content-Type") == "application/json"
    body = receiver.json()
    title = "Escalation 2: T-1 first response — overdue by 1h 00m"
    assert body["text"] == title
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions", "context"]
    head, section, actions, context = body["blocks"]
    assert head["text"] == {"type": "plain_text", "text": title}
    assert section["text"]["type"] == "mrkdwn"
    assert "*Ticket:* T-1" in section["text"]["text"]
    assert "reassign: group tier2" in section["text"]["text"]
    (button,) = actions["elements"]
    assert button["type"] == "button"
    assert button["url"] == LINK
    assert context["elements"] == [{"type": "plain_text", "text": "alert alert-42"}]


def test_slack_without_a_link_has_no_button_and_a_long_title_is_cut_to_150(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    payload = alert(ticket="T-" + "9" * 200)
    assert SlackChannel(receiver.url, client, renderer).deliver(message(payload)).delivered
    body = receiver.json()
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    header_text = body["blocks"][0]["text"]["text"]
    assert len(header_text) == 150
    assert header_text.endswith("…")
    assert len(body["text"]) > 150  # the notification fallback is whole


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (503, True)])
def test_slack_rate_limits_and_server_errors_may_be_retried(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer, status: int, retryable: bool
) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = SlackChannel(receiver.url, client, renderer).deliver(message())
    assert not attempt.delivered
    assert (attempt.status, attempt.retryable) == (status, retryable)
    assert attempt.error.startswith(f"HTTP {status}")


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_slack_client_errors_are_not_retried(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer, status: int
) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = SlackChannel(receiver.url, client, renderer).deliver(message())
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, status, False)


def test_a_template_that_fails_is_a_failed_attempt_that_is_not_retried(
    receiver: HttpReceiver, client: HttpClient, tmp_path: Path
) -> None:
    channel = SlackChannel(receiver.url, client, broken_renderer(tmp_path, "slack.md.j2"))
    attempt = channel.deliver(message())
    assert not attempt.delivered
    assert not attempt.retryable
    assert attempt.status is None
    assert "slack.md.j2" in attempt.error
    assert receiver.requests == []


# ---- Teams ------------------------------------------------------------------------------------


def test_teams_gets_an_adaptive_card_in_the_message_envelope(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    attempt = TeamsChannel(receiver.url, client, renderer).deliver(message(ESCALATION))
    assert attempt.delivered
    body = receiver.json()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, text, facts = card["body"]
    assert title == {
        "type": "TextBlock",
        "text": "Escalation 2: T-1 first response — overdue by 1h 00m",
        "weight": "bolder",
        "size": "medium",
        "wrap": True,
    }
    assert text["type"] == "TextBlock"
    assert text["wrap"] is True
    assert "reassign: group tier2" in text["text"]
    assert facts["type"] == "FactSet"
    assert {f["title"]: f["value"] for f in facts["facts"]} == {
        "Ticket": "T-1",
        "Clock": "first response, cycle 1",
        "Policy": "gold",
        "Priority": "high",
        "Time left": "overdue by 1h 00m",
        "Due": "2026-03-13 15:00 UTC",
        "Alert id": "alert-42",
    }
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open ticket", "url": LINK}]


def test_teams_without_a_link_has_no_action_and_202_accepted_is_delivered(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    receiver.failures, receiver.fail_status = 1, 202  # what Power Automate workflows answer
    attempt = TeamsChannel(receiver.url, client, renderer).deliver(message())
    assert attempt.delivered
    assert attempt.status == 202
    assert "actions" not in receiver.json()["attachments"][0]["content"]


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (404, False), (429, True)])
def test_teams_failures_are_retried_only_when_they_may_pass(
    receiver: HttpReceiver, client: HttpClient, renderer: Renderer, status: int, retryable: bool
) -> None:
    receiver.failures, receiver.fail_status = 1, status
    attempt = TeamsChannel(receiver.url, client, renderer).deliver(message())
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, status, retryable)


# ---- WhatsApp ---------------------------------------------------------------------------------


@pytest.fixture
def graph() -> Iterator[HttpReceiver]:
    r = HttpReceiver("/v21.0/106540352242922/messages")
    yield r
    r.close()


def test_whatsapp_sends_a_text_message_to_one_number_with_the_bearer_token(
    graph: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    channel = WhatsAppChannel(graph.url, TOKEN, client, renderer)
    attempt = channel.deliver(message(ESCALATION, "+49 151 23456789"))
    assert attempt.delivered
    got = graph.requests[0]
    assert got["path"] == "/v21.0/106540352242922/messages"
    assert header(got, "Authorization") == f"Bearer {TOKEN}"
    assert header(got, "Content-Type") == "application/json"
    body = graph.json()
    text = body.pop("text")
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "4915123456789",
        "type": "text",
    }
    assert text["preview_url"] is False
    assert text["body"].startswith("*Escalation 2: T-1 first response — overdue by 1h 00m*")
    for shown in ("Ticket: T-1", "reassign: group tier2", LINK, "alert-42"):
        assert shown in text["body"]


def test_whatsapp_cuts_a_text_longer_than_4096_characters(
    graph: HttpReceiver, client: HttpClient, tmp_path: Path
) -> None:
    (tmp_path / "whatsapp.txt.j2").write_text("{{ ticket * 5000 }}")
    channel = WhatsAppChannel(graph.url, TOKEN, client, Renderer(tmp_path))
    assert channel.deliver(message(alert(ticket="x"), "4915123456789")).delivered
    assert len(graph.json()["text"]["body"]) == 4096


def test_whatsapp_sends_an_approved_template_when_one_is_configured(
    graph: HttpReceiver, client: HttpClient, renderer: Renderer
) -> None:
    channel = WhatsAppChannel(
        graph.url, TOKEN, client, renderer, template="sla_alert", language="de"
    )
    assert channel.deliver(message(alert(time_left_s=-90), "4915123456789")).delivered
    assert graph.json() == {
        "messaging_product": "whatsapp",
        "to": "4915123456789",
        "type": "template",
        "template": {
            "name": "sla_alert",
            "language": {"code": "de"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {
                            "type": "text",
                            "text": "⚠ Warning: T-1 first response 75% used — overdue by 1m 30s",
                        },
                        {"type": "text", "text": "T-1"},
                        {"type": "text", "text": "overdue by 1m 30s"},
                    ],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("to", "problem"),
    [
        ((), "exactly one phone number, got 0"),
        (("4915123456789", "4915198765432"), "exactly one phone number, got 2"),
        (("support@example.com",), "not an E.164 phone number"),
    ],
)
def test_whatsapp_refuses_anything_but_one_phone_number_without_sending(
    graph: HttpReceiver,
    client: HttpClient,
    renderer: Renderer,
    to: tuple[str, ...],
    problem: str,
) -> None:
    attempt = WhatsAppChannel(graph.url, TOKEN, client, renderer).deliver(message(alert(), *to))
    assert not attempt.delivered
    assert not attempt.retryable
    assert problem in attempt.error
    assert graph.requests == []


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (401, False), (429, True), (500, True), (503, True)]
)
def test_whatsapp_failures_are_retried_only_when_they_may_pass(
    graph: HttpReceiver, client: HttpClient, renderer: Renderer, status: int, retryable: bool
) -> None:
    graph.failures, graph.fail_status = 1, status
    attempt = WhatsAppChannel(graph.url, TOKEN, client, renderer).deliver(
        message(alert(), "4915123456789")
    )
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, status, retryable)


class GraphErrors:
    """A Graph API stand-in on 127.0.0.1 that answers every request with one error document."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        document = json.dumps({"error": error}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0/1/messages"
        serve = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serve.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "error", "expected", "retryable"),
    [
        (
            401,
            {"message": "Error validating access token", "type": "OAuthException", "code": 190},
            "HTTP 401: Error validating access token (code 190)",
            False,
        ),
        (
            400,
            {
                "message": "(#132001) Template name does not exist in the translation",
                "type": "OAuthException",
                "code": 132001,
                "error_data": {"details": "template name (sla_alert) does not exist in de"},
            },
            "(#132001) Template name does not exist in the translation (code 132001): "
            "template name (sla_alert) does not exist in de",
            False,
        ),
        (
            400,
            {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429},
            "HTTP 400: (#130429) Rate limit hit (code 130429)",
            True,
        ),
        (
            400,
            {"message": "An unexpected error has occurred.", "code": 131000, "is_transient": True},
            "An unexpected error has occurred. (code 131000)",
            True,
        ),
    ],
)
def test_a_graph_api_error_is_reported_with_its_message_and_code(
    client: HttpClient,
    renderer: Renderer,
    status: int,
    error: dict[str, Any],
    expected: str,
    retryable: bool,
) -> None:
    server = GraphErrors(status, error)
    try:
        attempt = WhatsAppChannel(server.url, TOKEN, client, renderer).deliver(
            message(alert(), "4915123456789")
        )
    finally:
        server.close()
    assert attempt.status == status
    assert expected in attempt.error
    assert attempt.retryable is retryable


def test_an_http_channel_that_cannot_connect_may_be_retried(
    client: HttpClient, renderer: Renderer
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    for channel in (
        SlackChannel(url, client, renderer),
        TeamsChannel(url, client, renderer),
        WhatsAppChannel(url, TOKEN, client, renderer),
    ):
        attempt = channel.deliver(message(alert(), "4915123456789"))
        assert (attempt.delivered, attempt.status, attempt.retryable) == (False, None, True)
        assert "Connection refused" in attempt.error


# ---- email ------------------------------------------------------------------------------------

USER, PASSWORD = "slakeeper", "correct horse"
SENDER = "SLA <sla@example.com>"


class Mailbox:
    """aiosmtpd handler: keeps what arrives, refuses recipients at refused.example."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 mailbox unavailable"
        if address.endswith("@busy.example"):
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
                "user": session.auth_data,
            }
        )
        return "250 Message accepted for delivery"

    def message(self, index: int = -1) -> EmailMessage:
        parsed = email.message_from_bytes(self.received[index]["data"], policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl CLI is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class SmtpServer:
    def __init__(self, mailbox: Mailbox, port: int) -> None:
        self.mailbox = mailbox
        self.port = port


@pytest.fixture(scope="module")
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS, and AUTH (only over TLS) before mail."""
    controller_module = pytest.importorskip("aiosmtpd.controller")
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = controller_module.Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield SmtpServer(mailbox, port)
    controller.stop()


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    smtp.mailbox.received.clear()
    return smtp.mailbox


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def email_channel(
    smtp: SmtpServer, certificate: tuple[Path, Path], renderer: Renderer, **options: Any
) -> EmailChannel:
    settings: dict[str, Any] = {
        "username": USER,
        "password": PASSWORD,
        "timeout_s": 5.0,
        "ssl_context": trusting(certificate),
    }
    settings.update(options)
    return EmailChannel("127.0.0.1", smtp.port, SENDER, renderer, **settings)


def test_an_email_arrives_over_starttls_and_auth_with_text_and_html(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer)
    to = ("lead@example.com", "oncall@example.com")
    attempt = channel.deliver(message(ESCALATION, *to, delivery=3))
    assert attempt.delivered, attempt.error
    assert attempt.status == 250
    (got,) = mailbox.received
    assert got["tls"] is True
    assert got["authenticated"] is True
    assert got["user"].login == USER.encode()
    assert got["from"] == "sla@example.com"
    assert got["to"] == list(to)
    mail = mailbox.message()
    assert mail["Subject"] == "[SLA] Escalation 2: T-1 first response — overdue by 1h 00m"
    assert mail["From"] == SENDER
    assert mail["To"].addresses[0].addr_spec == "lead@example.com"
    assert len(mail["To"].addresses) == 2
    assert mail["X-Slakeeper-Alert"] == "alert-42"
    assert mail["Message-ID"] == "<slakeeper.alert-42.3@example.com>"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Ticket:     T-1" in text.get_content()
    assert "reassign: group tier2" in text.get_content()
    assert f'<a href="{LINK}">' in html.get_content()


def test_the_same_delivery_sent_again_carries_the_same_message_id(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer)
    for _ in range(2):
        assert channel.deliver(message(alert(), "lead@example.com", delivery=7)).delivered
    assert channel.deliver(message(alert(), "lead@example.com", delivery=8)).delivered
    ids = [mailbox.message(i)["Message-ID"] for i in range(3)]
    assert ids[0] == ids[1] != ids[2]


def test_a_refused_recipient_is_a_failure_that_is_not_retried(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer)
    attempt = channel.deliver(message(alert(), "nobody@refused.example"))
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, 550, False)
    assert "nobody@refused.example: 550 5.1.1 mailbox unavailable" in attempt.error
    assert mailbox.received == []


def test_a_recipient_refused_for_now_may_be_retried(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer)
    attempt = channel.deliver(message(alert(), "someone@busy.example"))
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, 450, True)


def test_when_one_recipient_is_refused_the_others_still_get_it(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer)
    attempt = channel.deliver(message(alert(), "lead@example.com", "nobody@refused.example"))
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, 550, False)
    assert "nobody@refused.example" in attempt.error
    assert [m["to"] for m in mailbox.received] == [["lead@example.com"]]


def test_a_wrong_password_is_a_failure_that_is_not_retried(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer, password="wrong")
    attempt = channel.deliver(message(alert(), "lead@example.com"))
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, 535, False)
    assert mailbox.received == []


def test_an_untrusted_certificate_is_a_failure_that_is_not_retried(
    smtp: SmtpServer, mailbox: Mailbox, certificate: tuple[Path, Path], renderer: Renderer
) -> None:
    channel = email_channel(smtp, certificate, renderer, ssl_context=None)  # system trust only
    attempt = channel.deliver(message(alert(), "lead@example.com"))
    assert (attempt.delivered, attempt.retryable) == (False, False)
    assert "certificate" in attempt.error
    assert mailbox.received == []


def test_a_server_without_starttls_gets_nothing_when_starttls_is_required(
    renderer: Renderer,
) -> None:
    controller_module = pytest.importorskip("aiosmtpd.controller")
    mailbox = Mailbox()
    port = free_port()
    controller = controller_module.Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = EmailChannel("127.0.0.1", port, SENDER, renderer, timeout_s=5.0)
        attempt = channel.deliver(message(alert(), "lead@example.com"))
        plain = EmailChannel("127.0.0.1", port, SENDER, renderer, starttls=False, timeout_s=5.0)
        assert plain.deliver(message(alert(), "lead@example.com")).delivered
    finally:
        controller.stop()
    assert (attempt.delivered, attempt.retryable) == (False, False)
    assert "does not offer STARTTLS" in attempt.error
    assert len(mailbox.received) == 1  # only the one sent with starttls off


def test_an_email_without_recipients_is_refused_without_connecting(renderer: Renderer) -> None:
    channel = EmailChannel("127.0.0.1", free_port(), SENDER, renderer)
    attempt = channel.deliver(message(alert()))
    assert (attempt.delivered, attempt.retryable) == (False, False)
    assert "at least one recipient" in attempt.error


def test_an_smtp_server_that_is_down_may_be_retried(renderer: Renderer) -> None:
    channel = EmailChannel("127.0.0.1", free_port(), SENDER, renderer, timeout_s=5.0)
    attempt = channel.deliver(message(alert(), "lead@example.com"))
    assert (attempt.delivered, attempt.status, attempt.retryable) == (False, None, True)
    assert "ConnectionRefusedError" in attempt.error


# ---- the factory ------------------------------------------------------------------------------


def test_the_factory_builds_every_channel_type_with_secrets_from_the_environment(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    env = {"SLACK_URL": "https://hooks.slack.example/T/B/X", "WA_TOKEN": "tok", "SMTP_PW": "pw"}
    factory = ChannelFactory(env=env, templates=tmp_path)
    try:
        slack = factory.channel({"type": "slack", "url": "${SLACK_URL}"})
        assert isinstance(slack, SlackChannel)
        assert slack.url == env["SLACK_URL"]
        assert slack.renderer is factory.renderer
        assert factory.channel({"type": "slack", "url": "${SLACK_URL}"}) is slack  # kept
        teams = factory.channel({"type": "teams", "url": "https://teams.example/flow"})
        assert isinstance(teams, TeamsChannel)
        whatsapp = factory.channel(
            {
                "type": "whatsapp",
                "url": "https://graph.example/v21.0/1/messages",
                "token": "${WA_TOKEN}",
                "template": "sla_alert",
            }
        )
        assert isinstance(whatsapp, WhatsAppChannel)
        assert (whatsapp.token, whatsapp.template, whatsapp.language) == (
            "tok",
            "sla_alert",
            "en_US",
        )
        mail = factory.channel(
            {
                "type": "email",
                "host": "smtp.example.com",
                "from": "sla@example.com",
                "username": "sla",
                "password": "${SMTP_PW}",
                "ca_file": str(certificate[0]),
            }
        )
        assert isinstance(mail, EmailChannel)
        assert (mail.port, mail.starttls, mail.password) == (587, True, "pw")
        assert mail.ssl_context is not None
        plain = factory.channel(
            {"type": "email", "host": "relay", "port": 25, "from": "a@b", "starttls": "false"}
        )
        assert isinstance(plain, EmailChannel)
        assert (plain.port, plain.starttls, plain.username, plain.ssl_context) == (
            25,
            False,
            None,
            None,
        )
    finally:
        factory.close()


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"type": "slack", "url": "${NOT_SET}"}, "environment variable NOT_SET is not set"),
        ({"type": "pager"}, "unknown channel type 'pager'"),
        ({"url": "https://x"}, "unknown channel type None"),
        ({"type": "slack"}, "slack channel needs 'url'"),
        ({"type": "teams", "url": ""}, "teams channel needs 'url'"),
        ({"type": "webhook"}, "webhook channel needs 'url'"),
        ({"type": "whatsapp", "url": "https://x"}, "whatsapp channel needs 'token'"),
        ({"type": "email", "from": "a@b"}, "email channel needs 'host'"),
        ({"type": "email", "host": "h"}, "email channel needs 'from'"),
        ({"type": "email", "host": "h", "from": "a@b", "port": "x"}, "'port' must be a number"),
        ({"type": "email", "host": "h", "from": "a@b", "starttls": "maybe"}, "'starttls' must be"),
        ({"type": "email", "host": "h", "from": "a@b", "ca_file": "/nonexistent.pem"}, "ca_file"),
    ],
)
def test_the_factory_names_what_is_missing(spec: dict[str, Any], problem: str) -> None:
    factory = ChannelFactory(env={})
    try:
        with pytest.raises(ValueError, match=problem.replace("(", r"\(")) as caught:
            factory.channel(spec)
        assert problem in str(caught.value)
    finally:
        factory.close()


def test_the_factory_webhook_channel_needs_no_templates(receiver: HttpReceiver) -> None:
    factory = ChannelFactory(env={"SECRET": "s3cret"})
    try:
        channel = factory.channel({"type": "webhook", "url": receiver.url, "secret": "${SECRET}"})
        assert channel.deliver(message(alert())).delivered
    finally:
        factory.close()
    assert receiver.json() == {**alert(), "delivery": 1}
    assert header(receiver.requests[0], "X-Slakeeper-Signature")
