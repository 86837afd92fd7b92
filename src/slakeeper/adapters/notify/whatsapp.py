"""The WhatsApp channel: an alert sent through the WhatsApp Business Cloud API, one attempt per call.

It POSTs to the phone number's messages endpoint (``https://graph.facebook.com/v21.0/
<PHONE_NUMBER_ID>/messages``) with ``Authorization: Bearer <token>``, to exactly one recipient
(an E.164 number, sent as its digits). Without ``template`` the message is free text, the
``whatsapp.txt.j2`` body (at most 4096 characters), which WhatsApp only delivers within 24 hours
of the person's last message to the business; with ``template`` it is that approved message
template in ``language``, its body parameters being the title, the ticket and the time left.

The Graph API answers errors as ``{"error": {"message", "type", "code", ...}}``: the message and
code go into the attempt's error. 408/425/429, 5xx, connection errors and the Graph API's
throttling and temporary codes (or ``is_transient``) may be retried; other answers will not
change by retrying (a bad token, an unknown template, a number not on WhatsApp).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.adapters.notify.http import HttpAnswer, HttpClient, HttpError
from slakeeper.adapters.notify.render import Renderer, remaining
from slakeeper.adapters.notify.webhook import retryable as retryable_status
from slakeeper.service.records import Attempt, Message

TEXT_MAX = 4096
PARAMETER_MAX = 1024  # a template body parameter; no line breaks allowed either
# Graph API codes that say "later": unknown/temporary (1, 2), rate limits (4, 17, 32, 613),
# the account's rate limit (80007), throughput (130429), pair rate (131056), service down (133004)
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131056, 133004})
_NUMBER = re.compile(r"\+?([1-9][0-9]{6,14})")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_error(answer: HttpAnswer) -> tuple[str, bool]:
    """The attempt's error text for a Graph API error answer, and whether to retry it."""
    retryable = retryable_status(answer.status_code)
    try:
        found = orjson.loads(answer.content)
    except orjson.JSONDecodeError:
        found = None
    error = found.get("error") if isinstance(found, dict) else None
    if not isinstance(error, dict) or not error.get("message"):
        detail = answer.text[:200].strip()
        return f"HTTP {answer.status_code}" + (f": {detail}" if detail else ""), retryable
    code = error.get("code")
    text = f"HTTP {answer.status_code}: {error['message']}"
    if code is not None:
        text += f" (code {code}" + (
            f", subcode {error['error_subcode']})" if error.get("error_subcode") else ")"
        )
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    if isinstance(details, str) and details:
        text += f": {details}"
    transient = error.get("is_transient") is True or code in TRANSIENT_CODES
    return text, retryable or transient


@dataclass(slots=True)
class WhatsAppChannel:
    url: str
    token: str
    client: HttpClient
    renderer: Renderer
    template: str | None = None
    language: str = "en_US"

    def payload(self, to: str, alert: Mapping[str, Any]) -> dict[str, Any]:
        """The Cloud API body sending ``alert`` to ``to``; ValueError when a template fails."""
        if self.template is None:
            text = _clip(self.renderer.render("whatsapp.txt.j2", alert).strip(), TEXT_MAX)
            return {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            }
        try:
            if "subject" in alert:  # an availability alert: what, and the budget left
                subject, detail = str(alert["service"]), f"{alert.get('budget_left_pct')}% left"
            else:
                subject, detail = str(alert["ticket"]), remaining(alert["time_left_s"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"alert payload lacks a usable {exc}") from exc
        values = [self.renderer.line("title.txt.j2", alert), subject, detail]
        parameters = [
            {"type": "text", "text": _clip(" ".join(v.split()), PARAMETER_MAX)} for v in values
        ]
        return {
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": self.language},
                "components": [{"type": "body", "parameters": parameters}],
            },
        }

    def deliver(self, message: Message) -> Attempt:
        if len(message.recipients) != 1:
            return Attempt(
                None,
                "a WhatsApp message goes to exactly one phone number, "
                f"got {len(message.recipients)} recipients",
                retryable=False,
            )
        number = _NUMBER.fullmatch(message.recipients[0].replace(" ", ""))
        if number is None:
            return Attempt(
                None,
                f"{message.recipients[0]!r} is not an E.164 phone number (country code first)",
                retryable=False,
            )
        try:
            body = orjson.dumps(self.payload(number.group(1), message.alert))
        except ValueError as exc:
            return Attempt(None, str(exc), retryable=False)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        try:
            answer = self.client.post(self.url, body, headers)
        except HttpError as exc:
            return Attempt(None, str(exc))
        if answer.is_success:
            return Attempt(answer.status_code)
        error, retryable = graph_error(answer)
        return Attempt(answer.status_code, error, retryable)
