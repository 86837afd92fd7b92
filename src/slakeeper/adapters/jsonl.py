"""JSON Lines in and out: event records from a stream, and clocks in the SPEC §6 format."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

import orjson

from slakeeper.domain.clocks import Clock
from slakeeper.domain.events import BadEvent, format_instant

_US = 1_000_000
loads = orjson.loads


def read_records(
    stream: BinaryIO, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, object]]:
    """``(line number, decoded object)`` for each non-blank line; undecodable lines as BadEvent."""
    for number, raw in enumerate(stream, 1):
        if on_bytes is not None:
            on_bytes(len(raw))
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
            raw = raw[3:]
        try:
            yield number, loads(raw)
        except orjson.JSONDecodeError as exc:
            if raw.strip():  # blank lines are skipped
                yield number, BadEvent(f"not valid JSON: {exc.msg}")


def seconds(us: int) -> int | float:
    """Exact seconds: an integer when whole."""
    whole, rest = divmod(us, _US)
    return whole if rest == 0 else us / _US


def clock_dict(clock: Clock) -> dict[str, object]:
    """A clock as SPEC §6 writes it."""
    return {
        "ticket": clock.ticket,
        "metric": clock.metric,
        "cycle": clock.cycle,
        "policy": clock.policy,
        "target_seconds": seconds(clock.target),
        "started_at": format_instant(clock.started_at),
        "stopped_at": None if clock.stopped_at is None else format_instant(clock.stopped_at),
        "status": clock.status,
        "elapsed_seconds": seconds(clock.elapsed),
        "due_at": None if clock.due_at is None else format_instant(clock.due_at),
        "breached": clock.breached,
    }


def clock_line(clock: Clock) -> bytes:
    """The SPEC §6 JSON object of a clock, as one line (written by hand: the hot path of evaluate)."""
    stopped = clock.stopped_at
    due = clock.due_at
    return (
        f'{{"ticket":{_text(clock.ticket)},"metric":"{clock.metric}","cycle":{clock.cycle},'
        f'"policy":{_text(clock.policy)},"target_seconds":{seconds(clock.target)},'
        f'"started_at":"{format_instant(clock.started_at)}",'
        f'"stopped_at":{"null" if stopped is None else _quoted_instant(stopped)},'
        f'"status":"{clock.status}","elapsed_seconds":{seconds(clock.elapsed)},'
        f'"due_at":{"null" if due is None else _quoted_instant(due)},'
        f'"breached":{"true" if clock.breached else "false"}}}'
    ).encode()


def _quoted_instant(instant: int) -> str:
    return f'"{format_instant(instant)}"'


def _text(value: str) -> str:
    return orjson.dumps(value).decode()
