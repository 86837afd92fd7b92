"""Jinja2 templates that turn an alert's payload into the text each channel sends.

The templates ship in ``templates/`` beside this module (``title.txt.j2``, ``slack.md.j2``,
``teams.md.j2``, ``whatsapp.txt.j2``, ``email_subject.txt.j2``, ``email.txt.j2``,
``email.html.j2`` and the macros in ``_common.j2``). A deployment overrides any of them by putting
a file of the same name in its own templates directory, which is searched first. Each template
gets the payload (docs/semantics.md §9) as ``alert`` and each of its keys at the top level.

Only ``.html.j2`` templates are autoescaped; a name the payload lacks is an error
(``StrictUndefined``), and any error in a template comes out as a ``ValueError`` naming it, which
a channel records as a failed attempt that retrying will not fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

PACKAGE = "slakeeper.adapters.notify"
NONE = "—"


def duration(seconds: float | None) -> str:
    """A length of time, sign dropped, in its two largest units: ``1h 05m``, ``2d 3h``, ``45s``."""
    if seconds is None:
        return NONE
    total = int(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def instant(value: str | None) -> str:
    """An RFC 3339 instant as ``2026-03-13 15:00 UTC`` (seconds shown only when not zero)."""
    if value is None:
        return NONE
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError(f"instant {value!r} has no UTC offset")
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC" if at.second else "%Y-%m-%d %H:%M UTC")


def action(value: Mapping[str, Any]) -> str:
    """An escalation action as one phrase: ``reassign: group tier2``, ``raise priority: urgent``."""
    kind = str(value.get("kind", "action")).replace("_", " ")
    parts = []
    for key, option in value.items():
        if key == "kind":
            continue
        if isinstance(option, list | tuple):
            option = ", ".join(str(o) for o in option)
        parts.append(str(option) if key == "value" else f"{key} {option}")
    return f"{kind}: {'; '.join(parts)}" if parts else kind


def remaining(seconds: float) -> str:
    """Time left as a channel's structured fields show it: ``15m`` or ``overdue by 5m``."""
    return f"overdue by {duration(seconds)}" if seconds < 0 else duration(seconds)


def clock_name(metric: str, cycle: int) -> str:
    """The clock an alert is about: ``first response, cycle 1``."""
    return f"{metric.replace('_', ' ')}, cycle {cycle}"


def mrkdwn(value: object) -> str:
    """Escape the three characters Slack's mrkdwn gives a meaning to (``&``, ``<``, ``>``)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Renderer:
    """Renders the channel templates; ``directory`` holds optional overrides, searched first."""

    def __init__(self, directory: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if directory is not None:
            if not Path(directory).is_dir():
                raise ValueError(f"templates directory {directory} does not exist")
            loaders.append(jinja2.FileSystemLoader(directory))
        loaders.append(jinja2.PackageLoader(PACKAGE, "templates"))
        self.directory = directory
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(duration=duration, instant=instant, action=action, mrkdwn=mrkdwn)

    def render(self, name: str, alert: Mapping[str, Any]) -> str:
        """The template ``name`` filled in with ``alert``; ValueError naming it when it fails."""
        try:
            return self.env.get_template(name).render({**alert, "alert": alert})
        except jinja2.TemplateSyntaxError as exc:
            where = exc.name or name
            raise ValueError(f"template {where}, line {exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            raise ValueError(f"template {name}: {exc.message or exc.name} not found") from exc
        except Exception as exc:  # a user's template can fail in any way; report which one
            raise ValueError(f"template {name}: {type(exc).__name__}: {exc}") from exc

    def line(self, name: str, alert: Mapping[str, Any]) -> str:
        """``render`` collapsed to one line (titles, subjects: no line breaks may get through)."""
        return " ".join(self.render(name, alert).split())
