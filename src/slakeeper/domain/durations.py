"""Durations as written in SLA files (SPEC §2): ``"90m"``, ``"4h"``, ``"1h30m"``, ``"45s"`` or minutes."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

HINT = "write e.g. '90m', '4h', '1h30m', '45s', or a whole number of minutes"
MAX_DURATION = timedelta(days=3650)  # ten years: a due instant must stay a writable date
_TOO_LONG = "is longer than ten years (87600h), the longest duration slakeeper takes"


def parse_duration(value: object) -> timedelta:
    """Parse a target or offset; raises ``ValueError`` naming what is wrong.

    Zero and negative durations are refused: an SLA target is always positive; so are durations
    longer than :data:`MAX_DURATION`.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; {HINT}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{value} minutes is not a positive duration")
        if value > MAX_DURATION // timedelta(minutes=1):
            raise ValueError(f"{value} minutes {_TOO_LONG}")
        return timedelta(minutes=value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; {HINT}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"{value!r} is negative; targets must be positive")
    match = _DURATION.match(text)
    if not text or match is None:
        if text.endswith("d") and text[:-1].isdigit():
            raise ValueError(
                f"{value!r} uses the unit 'd', which does not exist; write hours, e.g. '24h'"
            )
        raise ValueError(f"{value!r} is not a duration; {HINT}")
    if any(len(g.lstrip("0")) > 12 for g in match.groups() if g):  # before int() reads them
        raise ValueError(f"{value[:20]!r}... {_TOO_LONG}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total > MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} {_TOO_LONG}")
    result = timedelta(seconds=total)
    if result <= timedelta(0):
        raise ValueError(f"{value!r} is zero; targets must be positive")
    return result


def format_duration(duration: timedelta) -> str:
    """The shortest SLA-file spelling of a whole-second duration (``5400s`` -> ``"1h30m"``)."""
    total = int(duration.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text += f"{seconds}s" if seconds else ""
    return text or "0s"
