"""The Slack channel: an alert posted to a Slack incoming webhook as Block Kit, one attempt per call.

The body is ``{"text": <title>, "blocks": [...]}``: ``text`` is the fallback shown in
notifications, the blocks are a ``header`` (the title as ``plain_text``, at most 150 characters),
a ``section`` with the ``slack.md.j2`` body in mrkdwn (at most 3000 characters), an ``actions``
block with a button to the alert's ``link`` when it has one, and a ``context`` block naming the
alert id. Slack answers ``200 ok``; its 4xx answers (``400 invalid_payload``, ``403
action_prohibited``, ``404 no_service``, ``410 channel_is_archived``) will not change by retrying,
429 and 5xx may (see :func:`slakeeper.adapters.notify.webhook.post_json`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.notify.render import Renderer
from slakeeper.adapters.notify.webhook import post_json
from slakeeper.service.records import Attempt, Message

HEADER_MAX = 150
SECTION_MAX = 3000
URL_MAX = 3000


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class SlackChannel:
    url: str
    client: HttpClient
    renderer: Renderer

    def payload(self, alert: Mapping[str, Any]) -> dict[str, Any]:
        """The webhook body for ``alert``; ValueError when a template fails."""
        title = self.renderer.line("title.txt.j2", alert)
        body = self.renderer.render("slack.md.j2", alert).strip()
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_MAX)}}
        ]
        if body:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": clip(body, SECTION_MAX)}}
            )
        link = alert.get("link")
        if isinstance(link, str) and link and len(link) <= URL_MAX:
            button = {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open ticket"},
                "url": link,
                "action_id": "open_ticket",
            }
            blocks.append({"type": "actions", "elements": [button]})
        context = {"type": "plain_text", "text": f"alert {alert.get('id', '?')}"}
        blocks.append({"type": "context", "elements": [context]})
        return {"text": title, "blocks": blocks}

    def deliver(self, message: Message) -> Attempt:
        try:
            body = self.payload(message.alert)
        except ValueError as exc:
            return Attempt(None, str(exc), retryable=False)
        return post_json(self.client, self.url, orjson.dumps(body))
