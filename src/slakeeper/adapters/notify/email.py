"""The email channel: an alert as a multipart email over SMTP, one attempt per call.

Each attempt opens one SMTP session: EHLO, STARTTLS when ``starttls`` (the default; a server
that does not offer it is refused rather than sent the message in clear), EHLO again, AUTH LOGIN
or PLAIN when a username is given, then the message to every recipient. The message
(RFC 5322, ``multipart/alternative``) has the ``email_subject.txt.j2`` subject, the
``email.txt.j2`` text and ``email.html.j2`` HTML parts, ``X-Slakeeper-Alert: <alert id>`` and a
``Message-ID`` made from the alert id and the delivery number, so every attempt of one delivery
carries the same id and a mail system can recognise a resend.

``Attempt.status`` is the SMTP reply code. 4xx replies, timeouts and connection errors may be
retried; 5xx replies (550 recipient refused, 535 authentication failed, 554 rejected) will not
change by retrying, nor will a missing STARTTLS or AUTH, or a certificate that does not verify.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from slakeeper.adapters.notify.render import Renderer
from slakeeper.service.records import Attempt, Message

_ATOM = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")


def message_id(alert_id: str, delivery: int, sender: str) -> str:
    """``<slakeeper.<alert id>.<delivery>@<sender's domain>>``, the same for every attempt."""
    local = _ATOM.sub("-", alert_id).strip(".") or "alert"
    domain = sender.rpartition("@")[2].strip("<> ") or "slakeeper.invalid"
    return f"<slakeeper.{local}.{delivery}@{domain}>"


def _refused(recipients: dict[str, tuple[int, bytes]], some_accepted: bool = False) -> Attempt:
    """Refused recipients; retryable only when every refusal was temporary and nobody has it
    yet (a retry sends to every recipient again)."""
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(
        f"{address}: {code} {reply.decode(errors='replace')}"
        for address, (code, reply) in recipients.items()
    )
    transient = not some_accepted and all(400 <= code < 500 for code in codes)
    return Attempt(codes[0] if codes else None, f"recipients refused: {detail}", transient)


class EmailChannel:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        renderer: Renderer,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.renderer = renderer
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout_s = timeout_s
        self.ssl_context = ssl_context

    def compose(self, message: Message) -> EmailMessage:
        """The email for ``message``; ValueError when a template fails or a header is invalid."""
        alert = message.alert
        alert_id = str(alert.get("id", ""))
        mail = EmailMessage()
        mail["Subject"] = self.renderer.line("email_subject.txt.j2", alert)
        mail["From"] = self.sender
        mail["To"] = ", ".join(message.recipients)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(alert_id, message.delivery, self.sender)
        mail["X-Slakeeper-Alert"] = alert_id
        mail["X-Slakeeper-Delivery"] = str(message.delivery)
        mail.set_content(self.renderer.render("email.txt.j2", alert))
        mail.add_alternative(self.renderer.render("email.html.j2", alert), subtype="html")
        return mail

    def deliver(self, message: Message) -> Attempt:
        if not message.recipients:
            return Attempt(None, "an email needs at least one recipient", retryable=False)
        try:
            mail = self.compose(message)
        except ValueError as exc:
            return Attempt(None, str(exc), retryable=False)
        try:
            return self._send(mail, list(message.recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            return _refused(exc.recipients)
        except smtplib.SMTPResponseException as exc:  # auth, sender, data, helo, connect
            reply = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            error = f"SMTP {exc.smtp_code} {reply}".strip()
            return Attempt(exc.smtp_code, error, 400 <= exc.smtp_code < 500)
        except smtplib.SMTPNotSupportedError as exc:
            return Attempt(None, f"{self.host}:{self.port}: {exc}", retryable=False)
        except ssl.SSLCertVerificationError as exc:
            error = f"{self.host}:{self.port}: the TLS certificate does not verify: {exc}"
            return Attempt(None, error, retryable=False)
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused
            return Attempt(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except ValueError as exc:  # an address smtplib cannot encode, say: sending again won't help
            return Attempt(None, f"{type(exc).__name__}: {exc}", retryable=False)

    def _send(self, mail: EmailMessage, recipients: list[str]) -> Attempt:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            attempt = self._session(smtp, mail, recipients)
        except (OSError, smtplib.SMTPServerDisconnected):
            smtp.close()  # the connection is gone or stuck: no QUIT
            raise
        except smtplib.SMTPException:
            _quit(smtp)
            raise
        _quit(smtp)
        return attempt

    def _session(self, smtp: smtplib.SMTP, mail: EmailMessage, recipients: list[str]) -> Attempt:
        smtp.ehlo()
        if self.starttls:
            if not smtp.has_extn("starttls"):
                error = (
                    f"{self.host}:{self.port} does not offer STARTTLS and the channel requires "
                    "it (set starttls: false only for a trusted relay)"
                )
                return Attempt(None, error, retryable=False)
            smtp.starttls(context=self.ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if self.username is not None:
            smtp.login(self.username, self.password or "")
        refused = smtp.send_message(mail, from_addr=self.sender, to_addrs=recipients)
        if refused:  # the others have it now; a retry would send it to them again
            return _refused(refused, some_accepted=True)
        return Attempt(250)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
