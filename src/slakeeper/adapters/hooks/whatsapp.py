"""WhatsApp Cloud API message webhooks (docs/integrations.md): Meta's signature and the mapping
of customers' messages to SPEC §4 events.

Meta signs each notification with the app secret: ``X-Hub-Signature-256: sha256=<hex>``, the
HMAC-SHA256 of the raw body. A notification (``object: whatsapp_business_account``) batches
``entry[].changes[]``; a ``messages`` change carries ``value.messages[]`` (what customers
sent), ``value.contacts[]`` and ``value.statuses[]`` (sent, delivered, read and failed, about
messages the business sent).

A customer's message is a public comment by ``customer`` on ticket ``whatsapp:<wa_id>`` at the
message's ``timestamp``, with event id ``whatsapp:<wamid>``; the conversation's first message
creates the ticket (channel ``whatsapp``). One delivery may carry messages of several contacts:
one :class:`Mapped` per contact. A ticket is a conversation (``Mapped.conversation``): a
message after the ticket is solved reopens it, after it is closed it opens the contact's next
ticket ``whatsapp:<wa_id>:<n>`` — service/hooks.py decides that with the ticket's history.
Statuses, reactions and system notices are ignored with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slakeeper.adapters.hooks import Ignored, Mapped, Source, instant, signed_sha256, text

OBJECT = "whatsapp_business_account"
# message types that are no message to answer: a reaction to a message, a notice that the
# customer changed number, the opening of a chat window, one deleted or kept only for a while
NOT_MESSAGES = frozenset({"reaction", "system", "request_welcome", "ephemeral", "revoke"})
_WA_ID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
_WAMID = re.compile(r"^[0-9A-Za-z._=+-]{1,200}$")


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``) signs ``body`` under ``secret``."""
    return signed_sha256(secret, body, header)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def map_delivery(payload: object) -> list[Mapped]:
    """One :class:`Mapped` per contact with messages; :class:`Ignored` when there are none."""
    if not isinstance(payload, Mapping):
        raise Ignored("the body is not a JSON object")
    kind = text(payload.get("object"))
    if kind != OBJECT:
        raise Ignored(f"object {kind!r}: not a WhatsApp Business Account notification")
    by_contact: dict[str, dict[str, dict[str, Any]]] = {}
    skipped: list[str] = []
    statuses = 0
    for entry in _list(payload.get("entry")):
        changes = entry.get("changes") if isinstance(entry, Mapping) else None
        for change in _list(changes):
            if not isinstance(change, Mapping):
                continue
            field = text(change.get("field"))
            value = change.get("value")
            if field != "messages" or not isinstance(value, Mapping):
                skipped.append(f"field {field!r}")
                continue
            statuses += len(_list(value.get("statuses")))
            for message in _list(value.get("messages")):
                _message(message, by_contact, skipped)
    if not by_contact:
        reasons = list(dict.fromkeys(skipped))
        if statuses:
            reasons.insert(
                0, f"{statuses} status update(s) (sent, delivered, read) of messages sent"
            )
        raise Ignored(
            "no customer message: " + ("; ".join(reasons) if reasons else "nothing in the entries")
        )
    out: list[Mapped] = []
    for wa_id, messages in sorted(by_contact.items()):
        ticket = f"whatsapp:{wa_id}"
        # one at a time, oldest first: each message goes where the conversation stands at its
        # instant (a close between two messages of one delivery splits them between tickets)
        for event in sorted(messages.values(), key=lambda e: (e["at"], e["id"])):
            created = {
                "id": f"{ticket}:created",
                "ticket": ticket,
                "type": "ticket.created",
                "at": event["at"],
                "channel": "whatsapp",
            }
            out.append(Mapped(ticket, [event], created, conversation=True))
    return out


def _message(
    message: object, by_contact: dict[str, dict[str, dict[str, Any]]], skipped: list[str]
) -> None:
    if not isinstance(message, Mapping):
        skipped.append("a message that is not an object")
        return
    kind = text(message.get("type")) or "unknown"
    if kind in NOT_MESSAGES:
        skipped.append(f"a {kind} message")
        return
    wa_id, wamid = text(message.get("from")), text(message.get("id"))
    if wa_id is None or not _WA_ID.match(wa_id):
        skipped.append(f"a message from {message.get('from')!r}, not a WhatsApp id")
        return
    if wamid is None or not _WAMID.match(wamid):
        skipped.append(f"a message with id {message.get('id')!r}")
        return
    try:
        at = instant(message.get("timestamp"), "the message's timestamp")
    except Ignored as exc:
        skipped.append(str(exc))
        return
    ticket = f"whatsapp:{wa_id}"
    event_id = f"whatsapp:{wamid}"
    by_contact.setdefault(wa_id, {})[event_id] = {
        "id": event_id,
        "ticket": ticket,
        "type": "comment.added",
        "at": at,
        "author": "customer",
        "public": True,
    }


def _verify(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return verify(secret, body, headers.get("x-hub-signature-256"))


def _map(headers: Mapping[str, str], payload: object) -> list[Mapped]:
    try:
        return map_delivery(payload)
    except Ignored:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Ignored(f"the payload cannot be read: {exc!r}") from None


SOURCE = Source("whatsapp", _verify, _map, "whatsapp_hook_secret")
