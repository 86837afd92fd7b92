"""Channels from the configuration's ``channels`` entries: secrets resolved, clients kept.

A value written ``${NAME}`` is read from the environment when the channel is built, so secrets
never sit in the stored configuration. Channels are kept per entry (their HTTP connections are
reused) and rebuilt when the entry changes. The entries, by ``type``:

- ``webhook``: ``url``, ``secret``
- ``slack``: ``url`` (an incoming webhook)
- ``teams``: ``url`` (an incoming webhook or a Power Automate workflow)
- ``whatsapp``: ``url`` (``.../<PHONE_NUMBER_ID>/messages``), ``token``, ``template``, ``language``
- ``email``: ``host``, ``port`` (587), ``from``, ``starttls`` (true), ``username``, ``password``,
  ``ca_file`` (a PEM file of certificates to trust instead of the system's)
- ``zendesk``, ``jira``, ``github``: a help desk's REST API for the outbound actions
  (:mod:`slakeeper.adapters.outbound`)

and any of them ``timeout_s`` (10). The message templates come from the package, or first from
the ``templates`` directory given to :class:`ChannelFactory` (see :mod:`.render`).
"""

from __future__ import annotations

import os
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from slakeeper.adapters.notify.email import EmailChannel
from slakeeper.adapters.notify.http import HttpClient
from slakeeper.adapters.notify.render import Renderer
from slakeeper.adapters.notify.slack import SlackChannel
from slakeeper.adapters.notify.teams import TeamsChannel
from slakeeper.adapters.notify.webhook import WebhookChannel
from slakeeper.adapters.notify.whatsapp import WhatsAppChannel
from slakeeper.adapters.outbound.github import DEFAULT_URL, GitHubChannel
from slakeeper.adapters.outbound.jira import PRIORITIES, JiraChannel
from slakeeper.adapters.outbound.zendesk import ZendeskChannel
from slakeeper.service.ports import Channel

_SECRET = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
DEFAULT_TIMEOUT_S = 10.0

Builder = Callable[[Mapping[str, Any], HttpClient, Renderer], Channel]


def resolve(value: Any, env: Mapping[str, str]) -> Any:
    """``${NAME}`` -> the environment's value; ValueError naming the variable when it is unset."""
    if isinstance(value, str):
        match = _SECRET.match(value)
        if match:
            name = match.group(1)
            if name not in env:
                raise ValueError(f"environment variable {name} is not set")
            return env[name]
    return value


def required(spec: Mapping[str, Any], key: str) -> Any:
    """``spec[key]``, or ValueError naming the key when it is missing or empty."""
    value = spec.get(key)
    if value is None or value == "":
        raise ValueError(f"{spec.get('type')} channel needs {key!r}")
    return value


def flag(value: Any, key: str) -> bool:
    """A boolean option, also written as a string (``${NAME}`` resolves to one)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"{key!r} must be true or false, not {value!r}")


def _webhook(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    return WebhookChannel(str(required(spec, "url")), str(spec.get("secret") or ""), client)


def _slack(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    return SlackChannel(str(required(spec, "url")), client, renderer)


def _teams(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    return TeamsChannel(str(required(spec, "url")), client, renderer)


def _whatsapp(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    template = spec.get("template")
    return WhatsAppChannel(
        str(required(spec, "url")),
        str(required(spec, "token")),
        client,
        renderer,
        template=str(template) if template else None,
        language=str(spec.get("language") or "en_US"),
    )


def _email(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    port = spec.get("port") or 587
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"email channel 'port' must be a number, not {port!r}") from None
    ca_file = spec.get("ca_file")
    context = None
    if ca_file:
        try:
            context = ssl.create_default_context(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"email channel 'ca_file' {ca_file}: {exc}") from exc
    username = spec.get("username")
    password = spec.get("password")
    return EmailChannel(
        str(required(spec, "host")),
        port,
        str(required(spec, "from")),
        renderer,
        starttls=flag(spec.get("starttls", True), "starttls"),
        username=str(username) if username else None,
        password=str(password) if password is not None else None,
        timeout_s=float(spec.get("timeout_s") or DEFAULT_TIMEOUT_S),
        ssl_context=context,
    )


def _zendesk(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    return ZendeskChannel(
        str(required(spec, "url")),
        str(required(spec, "email")),
        str(required(spec, "token")),
        client,
    )


def _jira(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    group = spec.get("group_field")
    return JiraChannel(
        str(required(spec, "url")),
        str(required(spec, "email")),
        str(required(spec, "token")),
        client,
        group_field=str(group) if group else None,
        priorities={**PRIORITIES, **dict(spec.get("priorities") or {})},
    )


def _github(spec: Mapping[str, Any], client: HttpClient, renderer: Renderer) -> Channel:
    return GitHubChannel(str(required(spec, "token")), client, str(spec.get("url") or DEFAULT_URL))


BUILDERS: dict[str, Builder] = {
    "webhook": _webhook,
    "slack": _slack,
    "teams": _teams,
    "whatsapp": _whatsapp,
    "email": _email,
    "zendesk": _zendesk,
    "jira": _jira,
    "github": _github,
}


class ChannelFactory:
    """Implements the service's ``Channels`` port."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        templates: Path | None = None,
    ) -> None:
        self.env = os.environ if env is None else env
        self.renderer = Renderer(templates)
        self._built: dict[bytes, Channel] = {}
        self._clients: dict[float, HttpClient] = {}
        self._lock = threading.Lock()

    def _client(self, timeout: float) -> HttpClient:
        client = self._clients.get(timeout)
        if client is None:
            client = self._clients[timeout] = HttpClient(timeout=timeout)
        return client

    def channel(self, spec: Mapping[str, Any]) -> Channel:
        key = orjson.dumps(dict(spec), option=orjson.OPT_SORT_KEYS)
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                return found
            kind = spec.get("type")
            builder = BUILDERS.get(kind) if isinstance(kind, str) else None
            if builder is None:
                raise ValueError(f"unknown channel type {kind!r}; use {', '.join(BUILDERS)}")
            resolved = {k: resolve(v, self.env) for k, v in spec.items()}
            timeout = float(resolved.get("timeout_s") or DEFAULT_TIMEOUT_S)
            channel = builder(resolved, self._client(timeout), self.renderer)
            if len(self._built) > 1000:
                self._built.clear()
            self._built[key] = channel
            return channel

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            self._built.clear()
