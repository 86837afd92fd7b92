"""``slakeeper whatif``, ``targets`` and ``staffing``: advice before anyone signs an SLA
(``docs/whatif.md``).

- ``whatif`` — the compliance a proposed configuration would have had on real history, metric by
  metric and policy by policy, beside a baseline configuration's;
- ``targets`` — per metric, priority and policy, the target history says the team meets with a
  chosen probability, with its confidence interval;
- ``staffing`` — compliance per team size from the simulator, and Erlang C beside it.

Large histories are read in parallel: the tickets are split in as many parts as there are cores
(at most four) and each part is read, checked and judged by a forked process (:func:`fork_runner`).
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import json
import multiprocessing
import os
import re
import sys
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from enum import StrEnum
from fractions import Fraction
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from slakeeper.adapters.config_file import load_config, parse_document
from slakeeper.adapters.jsonl import read_records, seconds
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.durations import format_duration
from slakeeper.domain.errors import ConfigError, EventError, InvalidArgument, InvalidInput
from slakeeper.domain.events import BadEvent, format_instant, parse_instant
from slakeeper.domain.policy import METRICS
from slakeeper.domain.targets import probability
from slakeeper.entrypoints.report_view import percent
from slakeeper.service.evaluate import Record
from slakeeper.service.whatif import (
    Gather,
    Source,
    Targets,
    WhatIf,
    part_of,
    serial,
    targets,
    whatif,
)
from slakeeper.simulation import make_router, parse_simulation
from slakeeper.simulation.config import MAX_DAYS
from slakeeper.simulation.model import SimConfig
from slakeeper.simulation.staffing import SizeRun, Staffing, staffing

BAD_INPUT = 2
PARALLEL_BYTES = 8 * 1024 * 1024  # histories larger than this are read in parallel
MAX_SHARDS = 4
T = TypeVar("T")
Row = dict[str, Any]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="SLA configuration (YAML or JSON).")
]
EventsOption = Annotated[
    str,
    typer.Option("--events", "-e", help="Ticket events as JSON Lines; '-' reads standard input."),
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Evaluation instant (RFC 3339); default: the last event's."),
]
SinceOption = Annotated[
    str | None, typer.Option("--from", help="Count from this instant (RFC 3339).")
]
UntilOption = Annotated[str | None, typer.Option("--to", help="Count until this instant.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f")]
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        max=64,
        help="Processes working at once; default: one per core (at most 4) for large inputs.",
    ),
]


def _fail(lines: Iterable[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)


# -- running parts of a history in forked processes ------------------------------------------------


def fork_runner(job: Callable[[int, Gather], T], shards: int) -> list[T]:
    """Run ``job(shard, gather)`` for every shard in its own forked process.

    ``gather(value)`` sends the shard's value and returns every shard's, in shard order, once
    each shard still running has sent one (every shard must gather the same number of times).
    A shard that fails ends the run with its traceback."""
    if shards == 1:
        return serial(job, 1)
    context = multiprocessing.get_context("fork")
    conns: list[Connection] = []
    procs = []
    try:
        for shard in range(shards):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_child, args=(job, shard, theirs), daemon=True)
            proc.start()
            theirs.close()
            conns.append(mine)
            procs.append(proc)
        results: dict[int, T] = {}
        waiting: dict[int, object] = {}
        while len(results) < shards:
            listening = [c for k, c in enumerate(conns) if k not in results and k not in waiting]
            for ready in wait(listening):
                shard = next(k for k, c in enumerate(conns) if c is ready)
                try:
                    kind, value = conns[shard].recv()
                except EOFError:
                    raise RuntimeError(f"part {shard} of the history ended unexpectedly") from None
                if kind == "error":
                    raise RuntimeError(f"part {shard} of the history failed:\n{value}")
                if kind == "done":
                    results[shard] = value
                else:
                    waiting[shard] = value
            running = [k for k in range(shards) if k not in results]
            if waiting and all(k in waiting for k in running):
                values = [waiting.get(k) for k in range(shards)]
                for k in running:
                    conns[k].send(values)
                waiting.clear()
        return [results[k] for k in range(shards)]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for conn in conns:
            conn.close()


def _child(job: Callable[[int, Gather], object], shard: int, conn: Connection) -> None:
    def gather(value: object) -> list[Any]:
        conn.send(("gather", value))
        found: list[Any] = conn.recv()
        return found

    try:
        result = job(shard, gather)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    else:
        conn.send(("done", result))
    conn.close()


def _shards(size: int, jobs: int | None) -> int:
    """Parts to read in parallel: ``jobs`` when given, else one per usable core (at most four)
    for a history over 8 MB."""
    if jobs is not None:
        return jobs
    if size < PARALLEL_BYTES:
        return 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_SHARDS, usable or 1))


# -- reading the input -----------------------------------------------------------------------------


def _config(path: Path, problems: list[str]) -> SlaConfig | None:
    try:
        return load_config(path)
    except InvalidInput as exc:
        problems.extend(exc.lines())
        return None


def _instant(value: str | None, name: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return parse_instant(value, name)
    except BadEvent as exc:
        problems.append(str(exc))
        return None


def _fraction(value: float, name: str, problems: list[str]) -> Fraction:
    try:
        return probability(Fraction(str(value)), name)
    except InvalidArgument as exc:
        problems.append(str(exc))
    except ValueError:  # nan and inf are not fractions
        problems.append(f"{name} {value} is not a number between 0 and 1 (e.g. 0.9)")
    return Fraction(1, 2)


_TICKET = re.compile(rb'"ticket"\s*:\s*"([^"\\]*)"')  # a ticket id written without escapes
_BOM = b"\xef\xbb\xbf"


def _part_records(lines: Iterable[bytes], shard: int, shards: int) -> Iterator[Record]:
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
            obj = orjson.loads(raw)
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


def _source(events: str) -> tuple[Source, int, str]:
    """The records of the events file by part (afresh at each call), its size in bytes and its
    name for messages."""
    if events == "-":
        data = sys.stdin.buffer.read()

        def from_stdin(shard: int, shards: int) -> Iterator[Record]:
            if shards == 1:
                return read_records(io.BytesIO(data))
            return _part_records(io.BytesIO(data), shard, shards)

        return from_stdin, len(data), "<stdin>"
    try:
        size = os.path.getsize(events)
        with open(events, "rb"):
            pass
    except OSError as exc:
        _fail([f"{events}: cannot read the file: {exc.strerror or exc}"])

    def from_file(shard: int, shards: int) -> Iterator[Record]:
        with open(events, "rb") as stream:
            if shards == 1:
                yield from read_records(stream)
            else:
                yield from _part_records(stream, shard, shards)

    return from_file, size, events


def _bulk(run: Callable[[], T]) -> T:
    """``run()`` with the cyclic garbage collector paused (events and clocks form no cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if was_enabled:
            gc.enable()


# -- whatif ----------------------------------------------------------------------------------------


def whatif_command(
    config: ConfigOption,
    events: EventsOption,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", "-b", help="The configuration to compare with (YAML or JSON)."),
    ] = None,
    at: AtOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    output: FormatOption = Format.table,
    jobs: JobsOption = None,
) -> None:
    """The compliance a proposed SLA would have had on real history, by metric and priority and
    by policy, beside a baseline's (the numbers of `slakeeper report compliance`)."""
    problems: list[str] = []
    proposed = _config(config, problems)
    current = _config(baseline, problems) if baseline is not None else None
    now = _instant(at, "--at", problems)
    start = _instant(since, "--from", problems)
    end = _instant(until, "--to", problems)
    if problems:
        _fail(problems)
    assert proposed is not None
    source, size, name = _source(events)
    try:
        result = _bulk(
            lambda: whatif(
                proposed,
                source,
                now,
                baseline=current,
                start=start,
                end=end,
                shards=_shards(size, jobs),
                runner=fork_runner,
            )
        )
    except EventError as exc:
        _fail(EventError(exc.issues, name).lines())
    title = f"what-if: {config}" + (f" against {baseline}" if baseline else "")
    _write_whatif(result, output, title)


def whatif_rows(result: WhatIf) -> list[Row]:
    """One row per metric and priority, then one per policy and metric."""
    rows = []
    for level, items in (
        ("metric_priority", result.by_metric_priority),
        ("policy", result.by_policy),
    ):
        for c in items:
            a, b = c.key
            row: Row = {"breakdown": level}
            row.update(
                {"metric": a, "priority": b} if level != "policy" else {"policy": a, "metric": b}
            )
            row.update(_judged("", c.proposed.met, c.proposed.breached))
            if c.baseline is not None:
                row.update(_judged("baseline_", c.baseline.met, c.baseline.breached))
                change = c.change
                row["change_pp"] = None if change is None else round(float(change * 100), 2)
            rows.append(row)
    return rows


def _judged(prefix: str, met: int, breached: int) -> Row:
    judged = met + breached
    return {
        f"{prefix}judged": judged,
        f"{prefix}met": met,
        f"{prefix}breached": breached,
        f"{prefix}compliance_pct": percent(Fraction(met, judged)) if judged else None,
    }


def whatif_document(result: WhatIf) -> dict[str, Any]:
    """The what-if as one JSON document (the CLI's ``--format json`` and the API's answer)."""
    rows = whatif_rows(result)
    split = len(result.by_metric_priority)
    return {
        "at": _instant_text(result.now),
        "from": _instant_text(result.start),
        "to": _instant_text(result.end),
        "events": result.events,
        "tickets": result.tickets,
        "by_metric_priority": [_without(r, "breakdown", "policy") for r in rows[:split]],
        "by_policy": [_without(r, "breakdown", "priority") for r in rows[split:]],
    }


def _instant_text(instant: int | None) -> str | None:
    return None if instant is None else format_instant(instant)


def _write_whatif(result: WhatIf, form: Format, title: str) -> None:
    if form is Format.json:
        _json(whatif_document(result))
        return
    rows = whatif_rows(result)
    if form is Format.csv:
        _csv(rows, ["breakdown", "metric", "priority", "policy"])
        return
    console = _console()
    at = "—" if result.now is None else format_instant(result.now)
    console.print(f"{title}, as of {at}: {result.events} events, {result.tickets} tickets")
    split = len(result.by_metric_priority)
    for part, name, drop in (
        (rows[:split], "by metric and priority", ("breakdown", "policy")),
        (rows[split:], "by policy", ("breakdown", "priority")),
    ):
        _table(console, [_without(r, *drop) for r in part], f"compliance {name}", _change_style)


def _change_style(column: str, value: object) -> str:
    if column == "change_pp" and isinstance(value, float) and value:
        return f"[{'green' if value > 0 else 'red'}]{value:+.2f}[/]"
    return "—" if value is None else str(value)


# -- targets ---------------------------------------------------------------------------------------


def targets_command(
    config: ConfigOption,
    events: EventsOption,
    goal: Annotated[
        float, typer.Option(help="The share of clocks the target should meet (0 to 1).")
    ] = 0.9,
    confidence: Annotated[
        float, typer.Option(help="The confidence of the interval (0 to 1).")
    ] = 0.95,
    at: AtOption = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Clocks started from this instant (RFC 3339).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Clocks started before this instant.")
    ] = None,
    output: FormatOption = Format.table,
    jobs: JobsOption = None,
) -> None:
    """Per metric, priority and policy: how long clocks took in business time, the target met
    with the goal probability (with its confidence interval) and a recommended target."""
    problems: list[str] = []
    sla = _config(config, problems)
    p = _fraction(goal, "--goal", problems)
    c = _fraction(confidence, "--confidence", problems)
    now = _instant(at, "--at", problems)
    start = _instant(since, "--from", problems)
    end = _instant(until, "--to", problems)
    if problems:
        _fail(problems)
    assert sla is not None
    source, size, name = _source(events)
    try:
        result = _bulk(
            lambda: targets(
                sla,
                source,
                p,
                c,
                now,
                start=start,
                end=end,
                shards=_shards(size, jobs),
                runner=fork_runner,
            )
        )
    except EventError as exc:
        _fail(EventError(exc.issues, name).lines())
    rows = targets_rows(result, text=output is Format.table)
    if output is Format.json:
        _json(targets_document(result))
    elif output is Format.csv:
        _csv(rows, [])
    else:
        console = _console()
        at_text = "—" if result.now is None else format_instant(result.now)
        console.print(
            f"targets met {float(result.goal):.0%} of the time, at {float(result.confidence):.0%} "
            f"confidence, from {result.tickets} tickets as of {at_text} (business time)"
        )
        _table(console, rows, "targets from history", _plain)


def targets_document(result: Targets) -> dict[str, Any]:
    """The advice as one JSON document (the CLI's ``--format json`` and the API's answer)."""
    return {
        "at": _instant_text(result.now),
        "goal": float(result.goal),
        "confidence": float(result.confidence),
        "events": result.events,
        "tickets": result.tickets,
        "targets": targets_rows(result),
    }


def targets_rows(result: Targets, text: bool = False) -> list[Row]:
    """One row per metric, priority and policy (``policy`` None: every policy). Durations in
    seconds, or as SLA-file text (``1h30m``) with ``text``."""

    def duration(us: int | None) -> object:
        if us is None:
            return None
        return format_duration(timedelta(microseconds=us)) if text else seconds(us)

    rows = []
    for a in result.advice:
        metric, priority, policy = a.key
        q = a.quantile
        current = a.current_compliance
        row: Row = {
            "metric": metric,
            "priority": priority,
            "policy": ("every policy" if text else None) if policy is None else policy,
            "clocks": a.achieved + a.censored,
            "censored": a.censored,
            "targets": ", ".join(format_duration(timedelta(microseconds=t)) for t in a.targets),
            "compliance_pct": None if current is None else percent(current),
        }
        suffix = "" if text else "_s"
        for key, value in (("estimate", q.estimate), ("lower", q.lower), ("upper", q.upper)):
            row[key + suffix] = duration(value)
        row["recommended"] = (
            None
            if a.recommended is None
            else format_duration(timedelta(microseconds=a.recommended))
        )
        if not text:
            row["recommended_s"] = duration(a.recommended)
        share = a.recommended_compliance
        row["recommended_compliance_pct"] = None if share is None else percent(share)
        rows.append(row)
    return rows


# -- staffing --------------------------------------------------------------------------------------


def staffing_command(
    model: Annotated[
        Path,
        typer.Option("--model", "-m", help="The workload model, e.g. examples/simulation.yaml."),
    ],
    sla: Annotated[Path, typer.Option("--sla", "-s", help="The SLA configuration to judge by.")],
    goal: Annotated[float, typer.Option(help="The compliance to reach (0 to 1).")] = 0.95,
    metric: Annotated[str, typer.Option(help=f"One of {', '.join(METRICS)}.")] = "first_response",
    sizes: Annotated[
        str | None,
        typer.Option(help="Team sizes: 8..20, or 8,10,12; default: the model's team ± 6."),
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Days to simulate; default: the model's.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; default: the model's.")] = None,
    warmup: Annotated[
        int | None,
        typer.Option(
            "--warmup-days", help="Days left out at the start; default: a quarter, at most 7."
        ),
    ] = None,
    router: Annotated[
        str, typer.Option(help="round_robin, least_loaded or sla_aware (see slakeeper simulate).")
    ] = "round_robin",
    output: FormatOption = Format.table,
    jobs: JobsOption = None,
) -> None:
    """How many agents reach a compliance goal: the model played with teams of several sizes
    (the same tickets each time), judged against the SLA, with an Erlang C estimate beside it."""
    problems: list[str] = []
    sim = _model(model, seed, days, problems)
    config = _config(sla, problems)
    p = _fraction(goal, "--goal", problems)
    if metric not in METRICS:
        problems.append(f"--metric: {metric!r} is not one of {', '.join(METRICS)}")
    try:
        if config is not None and sim is not None:  # else a problem is reported already
            make_router(router, config, sim.agents)
    except ValueError as exc:
        problems.append(f"--router: {exc}")
    if warmup is not None and sim is not None and not 0 <= warmup < sim.days:
        problems.append(f"--warmup-days: {warmup} must lie between 0 and {sim.days - 1}")
    team = len(sim.agents) if sim is not None else 0
    wanted = _sizes(sizes, team, problems)
    if problems:
        _fail(problems)
    assert sim is not None
    assert config is not None
    workers = max(1, min(len(wanted), _shards(PARALLEL_BYTES, jobs)))

    def each(play: Callable[[int], SizeRun], sizes: Sequence[int]) -> list[SizeRun]:
        def job(k: int, _: Gather) -> list[SizeRun]:
            return [play(size) for size in sizes[k::workers]]

        return [run for part in fork_runner(job, workers) for run in part]

    result = _bulk(
        lambda: staffing(
            sim, config, wanted, metric=metric, goal=p, warmup_days=warmup, router=router, each=each
        )
    )
    _write_staffing(result, output, team)


def _model(path: Path, seed: int | None, days: int | None, problems: list[str]) -> SimConfig | None:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        found = parse_simulation(parse_document(text, source))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{source}: cannot read the file: {exc}")
        return None
    except ConfigError as exc:
        problems.extend(ConfigError(exc.issues, exc.source or source).lines())
        return None
    if seed is not None and not 0 <= seed < 2**63:
        problems.append(f"--seed: {seed} must lie between 0 and 2^63 - 1")
    if days is not None and not 1 <= days <= MAX_DAYS:
        problems.append(f"--days: {days} must lie between 1 and {MAX_DAYS}")
        days = None
    return dataclasses.replace(
        found, seed=found.seed if seed is None else seed, days=found.days if days is None else days
    )


def _sizes(text: str | None, team: int, problems: list[str]) -> list[int]:
    if text is None:
        return list(range(max(1, team - 6), team + 7)) if team else []
    found: list[int] = []
    try:
        for part in text.split(","):
            low, dots, high = part.strip().partition("..")
            first = int(low)
            last = int(high) if dots else first
            found.extend(range(first, last + 1))
    except ValueError:
        problems.append(f"--sizes: {text!r}: write a range (8..20) or a list (8,10,12)")
        return []
    if not found or min(found) < 1 or max(found) > 1000 or len(set(found)) > 200:
        problems.append(f"--sizes: {text!r}: give 1 to 200 sizes from 1 to 1000 agents")
    return sorted(set(found))


def staffing_rows(result: Staffing) -> list[Row]:
    levels = dict(result.erlang.levels) if result.erlang is not None else {}
    rows = []
    for run in result.runs:
        compliance = run.compliance
        wait = run.first_reply_wait
        rows.append(
            {
                "size": run.size,
                "on_duty_at_peak": run.on_duty,
                "places_at_peak": run.places,
                "tickets": run.tickets,
                "judged": run.judged,
                "met": run.met,
                "breached": run.breached,
                "compliance_pct": None if compliance is None else percent(compliance),
                "meets_goal": compliance is not None and compliance >= result.goal,
                "erlang_service_level_pct": (
                    round(levels[run.size] * 100, 2) if run.size in levels else None
                ),
                "first_reply_wait_h": None if wait is None else round(wait / 3.6e9, 2),
                "utilisation_pct": round(run.utilisation * 100, 1),
                "unstaffed": ", ".join(run.unstaffed) or None,
            }
        )
    return rows


def staffing_summary(result: Staffing, team: int) -> list[str]:
    goal = f"{float(result.goal):.0%}"
    lines = [
        f"{result.metric} compliance of at least {goal} (the first {result.warmup_days} days "
        f"left out; the model's team has {team} agents):",
        "simulation: "
        + (
            f"{result.size} agents (every larger team tried reaches it too)"
            if result.size is not None
            else "no team size tried reaches it"
        ),
    ]
    e = result.erlang
    if e is None:
        lines.append("Erlang C: estimated for first_response only")
        return lines
    lines.append(
        f"Erlang C: the busiest hour {format_instant(e.peak.start)} brings {e.peak.rate:.1f} "
        f"tickets/h; {e.handling / 6e7:.1f} min of work each → {e.traffic:.2f} Erlangs; "
        f"{e.servers} places ({e.agents} agents) on duty then reach {goal}; "
        + (
            f"the least team tried with that many places on duty: {e.size} agents"
            if e.size is not None
            else "no team size tried has that many on duty"
        )
    )
    return lines


def _write_staffing(result: Staffing, form: Format, team: int) -> None:
    rows = staffing_rows(result)
    if form is Format.csv:
        _csv(rows, [])
        return
    if form is Format.json:
        e = result.erlang
        _json(
            {
                "metric": result.metric,
                "goal": float(result.goal),
                "warmup_days": result.warmup_days,
                "team": team,
                "sizes": rows,
                "simulation": {"size": result.size},
                "erlang": None
                if e is None
                else {
                    "peak_hour": format_instant(e.peak.start),
                    "tickets_per_hour": round(e.peak.rate, 3),
                    "handling_s": round(e.handling / 1e6, 1),
                    "traffic_erlangs": round(e.traffic, 3),
                    "target_waits_s": [[round(w / 1e6, 1), round(s, 4)] for w, s in e.waits],
                    "places_on_duty": e.servers,
                    "agents_on_duty": e.agents,
                    "size": e.size,
                },
            }
        )
        return
    console = _console()
    _table(console, rows, f"staffing: {result.metric} compliance by team size", _plain)
    for line in staffing_summary(result, team):
        console.print(line, highlight=False)


# -- output ----------------------------------------------------------------------------------------


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _plain(_: str, value: object) -> str:
    return "—" if value is None else str(value)


def _table(
    console: Console, rows: list[Row], title: str, cell: Callable[[str, object], str]
) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    table = Table(title=title, header_style="bold")
    for column in columns:
        first = next((r[column] for r in rows if r.get(column) is not None), None)
        table.add_column(column, justify="left" if isinstance(first, str) else "right")
    for row in rows:
        table.add_row(*(cell(c, row.get(c)) for c in columns))
    console.print(table)


def _json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _csv(rows: list[Row], first: list[str]) -> None:
    columns = list(dict.fromkeys([*first, *(k for row in rows for k in row)]))
    out = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n", restval="")
    out.writeheader()
    out.writerows(rows)


def _without(row: Row, *keys: str) -> Row:
    return {k: v for k, v in row.items() if k not in keys}


__all__ = [
    "fork_runner",
    "staffing_command",
    "targets_command",
    "targets_document",
    "whatif_command",
    "whatif_document",
]
