"""Where alerts go: named channels, the notify route of warnings and breaches, the outbound
channel of the help desk and the link to a ticket (configuration; see docs/semantics.md §9)::

    channels:
      support-slack: {type: slack, url: "${SLACK_WEBHOOK_URL}"}
      leads-email: {type: email, host: smtp.example.com, port: 587, from: sla@example.com,
                    username: sla, password: "${SMTP_PASSWORD}"}
      helpdesk: {type: webhook, url: "https://desk.example.com/slakeeper", secret: "${HOOK_SECRET}"}
    notify: {channels: [support-slack]}          # warnings and breaches of every policy
    outbound: helpdesk                           # receives reassign, raise_priority, add_tag, add_note
    ticket_link: "https://desk.example.com/tickets/{ticket}"

A policy may carry its own ``notify`` route. Secrets are written ``${NAME}`` and read from the
worker's environment when it sends; they never sit in the stored configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from slakeeper.domain.errors import Issue

TYPES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required keys, optional keys)
    "webhook": (("url",), ("secret", "timeout_s")),
    "slack": (("url",), ("timeout_s",)),
    "teams": (("url",), ("timeout_s",)),
    "whatsapp": (("url", "token"), ("template", "language", "timeout_s")),
    "email": (
        ("host", "from"),
        ("port", "starttls", "username", "password", "ca_file", "timeout_s"),
    ),
    # help desks' REST APIs: they take the outbound actions (docs/integrations.md)
    "zendesk": (("url", "email", "token"), ("timeout_s",)),
    "jira": (("url", "email", "token"), ("group_field", "priorities", "timeout_s")),
    "github": (("token",), ("url", "timeout_s")),
}
HELP_DESKS = frozenset({"zendesk", "jira", "github"})  # outbound only: they change tickets
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_TIMEOUT_S = 30  # the worker's delivery lease is sized for it (service/delivery.py)
ADDRESSED = frozenset({"email", "whatsapp"})  # channels that need recipients
ONE_RECIPIENT = frozenset({"whatsapp"})  # channels that take one recipient per message


@dataclass(frozen=True, slots=True)
class Route:
    """Channels (names from ``channels``) and recipients (addresses, numbers) to notify."""

    channels: tuple[str, ...]
    to: tuple[str, ...] = ()


def parse_channels(value: object, issues: list[Issue]) -> Mapping[str, Mapping[str, Any]]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        issues.append(Issue("channels", "a mapping of channel names to {type: ..., ...}"))
        return MappingProxyType({})
    found: dict[str, Mapping[str, Any]] = {}
    for name, spec in value.items():
        where = f"channels.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            issues.append(Issue(where, "a channel name is letters, digits, '_', '.' or '-'"))
            continue
        if not isinstance(spec, Mapping):
            issues.append(Issue(where, "give the channel as a mapping with type and its options"))
            continue
        kind = spec.get("type")
        if not isinstance(kind, str) or kind not in TYPES:
            issues.append(Issue(f"{where}.type", f"{kind!r}; use {', '.join(TYPES)}"))
            continue
        required, optional = TYPES[kind]
        before = len(issues)
        for key in required:
            if not isinstance(spec.get(key), str) or not spec[key].strip():
                issues.append(Issue(f"{where}.{key}", f"required for a {kind} channel"))
        for key in spec:
            if key != "type" and key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                issues.append(Issue(f"{where}.{key}", f"unknown option; use {allowed}"))
        url = spec.get("url")
        if isinstance(url, str) and not (url.startswith("${") or sendable_url(url)):
            issues.append(
                Issue(
                    f"{where}.url", "must be an http(s) URL (ASCII; %-encode the rest) or ${NAME}"
                )
            )
        if "port" in spec and not (
            isinstance(spec["port"], int) and not isinstance(spec["port"], bool)
        ):
            issues.append(Issue(f"{where}.port", "must be a port number"))
        if "starttls" in spec and not isinstance(spec["starttls"], bool):
            issues.append(Issue(f"{where}.starttls", "must be true or false"))
        priorities = spec.get("priorities")
        if priorities is not None and not (
            isinstance(priorities, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) and v for k, v in priorities.items())
        ):
            issues.append(
                Issue(f"{where}.priorities", "a mapping of priorities to Jira's, e.g. {urgent: P1}")
            )
        if "timeout_s" in spec and not (
            isinstance(spec["timeout_s"], int | float) and 0 < spec["timeout_s"] <= MAX_TIMEOUT_S
        ):
            issues.append(
                Issue(f"{where}.timeout_s", f"must be a number of seconds in (0, {MAX_TIMEOUT_S}]")
            )
        if len(issues) == before:
            found[name] = MappingProxyType(dict(spec))
    return MappingProxyType(found)


def sendable_url(url: str) -> bool:
    """An http(s) URL that can go on the wire as it is: ASCII, no spaces or line breaks."""
    return (
        url.startswith(("http://", "https://"))
        and url.isascii()
        and not any(ch.isspace() or ord(ch) < 32 for ch in url)
    )


def parse_route(
    value: object, where: str, channels: Mapping[str, object], issues: list[Issue]
) -> Route | None:
    """``{channels: [...], to: [...]}``; every channel must be defined in ``channels``."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        issues.append(Issue(where, "write {channels: [name, ...], to: [recipient, ...]}"))
        return None
    unknown = set(value) - {"channels", "to"}
    if unknown:
        issues.append(
            Issue(where, f"unknown field(s) {sorted(map(str, unknown))}; use channels, to")
        )
    names = value.get("channels")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        issues.append(Issue(f"{where}.channels", "a list of channel names, such as [slack]"))
        return None
    to = value.get("to", [])
    if not isinstance(to, list) or not all(isinstance(r, str) and r for r in to):
        issues.append(Issue(f"{where}.to", "a list of recipients (addresses, phone numbers)"))
        return None
    check_channel_names(names, f"{where}.channels", channels, issues)
    check_recipients(names, to, f"{where}.to", channels, issues)
    return Route(tuple(names), tuple(to))


def check_recipients(
    names: list[str], to: list[str], where: str, channels: Mapping[str, object], issues: list[Issue]
) -> None:
    """Email and WhatsApp address people: a route to them needs recipients. A help desk's API
    takes outbound actions, not messages."""
    for name in names:
        spec = channels.get(name)
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        if kind in HELP_DESKS:  # named in the route's channels, beside its ``to``
            issues.append(
                Issue(
                    where.removesuffix(".to") + ".channels",
                    f"channel {name!r} ({kind}) takes outbound actions: name it as outbound",
                )
            )
        if kind in ADDRESSED and not to:
            issues.append(Issue(where, f"channel {name!r} ({kind}) needs recipients in `to`"))


def check_channel_names(
    names: list[str], where: str, channels: Mapping[str, object], issues: list[Issue]
) -> None:
    for name in names:
        if name not in channels:
            defined = ", ".join(sorted(channels)) or "none"
            issues.append(Issue(where, f"unknown channel {name!r}; defined in channels: {defined}"))


def parse_link(value: object, issues: list[Issue]) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or "{ticket}" not in value
        or not value.startswith(("http://", "https://"))
    ):
        issues.append(
            Issue("ticket_link", "an http(s) URL with {ticket}, e.g. https://desk/tickets/{ticket}")
        )
        return None
    return value
