"""JSON Lines in and out: event records from a stream or a file (whole, or the part of it that
holds some tickets), and clocks in the SPEC §6 format."""

from __future__ import annotations

import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import orjson

from slakeeper.domain.clocks import Clock
from slakeeper.domain.events import BadEvent, format_instant
from slakeeper.service.history_parts import Source, part_of

_US = 1_000_000
loads = orjson.loads
_TICKET = re.compile(rb'"ticket"\s*:\s*"([^"\\]*)"')  # a ticket id written without escapes
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark


def read_records(
    stream: BinaryIO, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, object]]:
    """``(line number, decoded object)`` for each non-blank line; undecodable lines as BadEvent."""
    for number, raw in enumerate(stream, 1):
        if on_bytes is not None:
            on_bytes(len(raw))
        if number == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        try:
            yield number, loads(raw)
        except orjson.JSONDecodeError as exc:
            if raw.strip():  # blank lines are skipped
                yield number, BadEvent(f"not valid JSON: {exc.msg}")


def part_records(lines: Iterable[bytes], shard: int, shards: int) -> Iterator[tuple[int, object]]:
    """The records of part ``shard`` of ``shards``: a line whose ticket id, read from its raw
    bytes, falls in another part is not decoded (the id's bytes are what :func:`part_of` hashes);
    a line whose id cannot be read so is decoded by every part. A line whose decoded id is not
    the one read raw (a repeated key, say) comes as a bad record: the history is then read
    again in one part, with every check."""
    for number, raw in enumerate(lines, 1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        found = _TICKET.search(raw)
        if found is not None and zlib.crc32(found.group(1)) % shards != shard:
            continue
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as exc:
            if raw.strip():
                yield number, BadEvent(f"not valid JSON: {exc.msg}")
            continue
        if found is not None:
            ticket = obj.get("ticket") if type(obj) is dict else None
            if type(ticket) is not str or part_of(ticket, shards) != shard:
                yield number, BadEvent("the ticket id reads differently raw and decoded")
                continue
        yield number, obj


def history_source(events: str) -> tuple[Source, int, str]:
    """The records of an events file (``-``: standard input, read at once) by part, afresh at
    each call; its size in bytes and its name for messages. Raises ``OSError`` when the file
    cannot be read."""
    if events == "-":
        data = sys.stdin.buffer.read()

        def from_stdin(shard: int, shards: int) -> Iterator[tuple[int, object]]:
            if shards == 1:
                return read_records(io.BytesIO(data))
            return part_records(io.BytesIO(data), shard, shards)

        return from_stdin, len(data), "<stdin>"
    size = os.path.getsize(events)
    with open(events, "rb"):
        pass

    def from_file(shard: int, shards: int) -> Iterator[tuple[int, object]]:
        with open(events, "rb") as stream:
            if shards == 1:
                yield from read_records(stream)
            else:
                yield from part_records(stream, shard, shards)

    return from_file, size, events


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
