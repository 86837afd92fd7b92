"""The Microsoft Teams channel: an alert as an Adaptive Card, one attempt per call.

The card goes in the "message with attachments" envelope that Teams incoming webhooks and Power
Automate workflows ("Post to a channel when a webhook request is received") accept::

    {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                         "contentUrl": null, "content": <AdaptiveCard 1.4>}]}

The card's body is the title (``title.txt.j2``, a bolder medium TextBlock), the ``teams.md.j2``
text (a TextBlock, Adaptive Card markdown), and a FactSet with ticket, clock, policy, priority,
time left, due instant and alert id; its one action opens the alert's ``link`` when it has one.
Workflows answer ``202 Accepted``: any 2xx is delivered (see
:func:`slakeeper.adapters.notify.webhook.post_json` for the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.notify.render import Renderer, clock_name, instant, remaining
from slakeeper.adapters.notify.webhook import post_json
from slakeeper.service.records import Attempt, Message

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _text(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


@dataclass(slots=True)
class TeamsChannel:
    url: str
    client: HttpClient
    renderer: Renderer

    def card(self, alert: Mapping[str, Any]) -> dict[str, Any]:
        """The Adaptive Card for ``alert``; ValueError when a template fails."""
        title = self.renderer.line("title.txt.j2", alert)
        text = self.renderer.render("teams.md.j2", alert).strip()
        try:
            facts = (
                _service_facts(alert)
                if "subject" in alert
                else [
                    ("Ticket", _text(alert["ticket"])),
                    ("Clock", clock_name(alert["metric"], alert["cycle"])),
                    ("Policy", _text(alert.get("policy"))),
                    ("Priority", _text(alert.get("priority"))),
                    ("Time left", remaining(alert["time_left_s"])),
                    ("Due", instant(alert.get("due_at"))),
                    ("Alert id", _text(alert["id"])),
                ]
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"alert payload lacks a usable {exc}") from exc
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": title, "weight": "bolder", "size": "medium", "wrap": True}
        ]
        if text:
            body.append({"type": "TextBlock", "text": text, "wrap": True})
        body.append(
            {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
        )
        card: dict[str, Any] = {
            "$schema": SCHEMA,
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
        }
        link = alert.get("link")
        if isinstance(link, str) and link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open ticket", "url": link}]
        return card

    def payload(self, alert: Mapping[str, Any]) -> dict[str, Any]:
        attachment = {"contentType": CONTENT_TYPE, "contentUrl": None, "content": self.card(alert)}
        return {"type": "message", "attachments": [attachment]}

    def deliver(self, message: Message) -> Attempt:
        try:
            body = self.payload(message.alert)
        except ValueError as exc:
            return Attempt(None, str(exc), retryable=False)
        return post_json(self.client, self.url, orjson.dumps(body))


def _service_facts(alert: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The FactSet of an availability alert (docs/semantics.md §11)."""
    return [
        ("Service", _text(alert["service"])),
        ("Objective", f"{_text(alert['objective'])} ({_text(alert['window'])})"),
        ("Uptime", f"{_text(alert.get('uptime_pct'))}% (target {_text(alert['target_pct'])}%)"),
        ("Budget left", f"{_text(alert.get('budget_left_pct'))}%"),
        ("Alert id", _text(alert["id"])),
    ]
