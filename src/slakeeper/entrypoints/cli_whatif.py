"""``slakeeper whatif``, ``targets`` and ``staffing``: advice before anyone signs an SLA
(``docs/whatif.md``).

- ``whatif`` — the compliance a proposed configuration would have had on real history, metric by
  metric and policy by policy, beside a baseline configuration's;
- ``targets`` — per metric, priority and policy, the target history says the team meets with a
  chosen probability, with its confidence interval;
- ``staffing`` — compliance per team size from the simulator, and Erlang C beside it.

Large histories are read in parallel: the tickets are split in as many parts as there are cores
(at most four) and each part is read, checked and judged by a forked process
(:mod:`slakeeper.adapters.fork_runner`). The answers are printed by
:mod:`slakeeper.entrypoints.advice_view`.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from slakeeper.adapters.config_file import load_config, parse_document
from slakeeper.adapters.fork_runner import fork_runner
from slakeeper.adapters.jsonl import history_source
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import ConfigError, EventError, InvalidArgument, InvalidInput
from slakeeper.domain.events import BadEvent, parse_instant
from slakeeper.domain.policy import METRICS
from slakeeper.domain.targets import probability
from slakeeper.entrypoints.advice_view import Format, write_staffing, write_targets, write_whatif
from slakeeper.service.history_parts import Gather, Source
from slakeeper.service.whatif import targets, whatif
from slakeeper.simulation import make_router, parse_simulation
from slakeeper.simulation.config import MAX_DAYS
from slakeeper.simulation.model import SimConfig
from slakeeper.simulation.staffing import SizeRun, staffing

BAD_INPUT = 2
PARALLEL_BYTES = 8 * 1024 * 1024  # histories larger than this are read in parallel
MAX_SHARDS = 4
T = TypeVar("T")


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


# -- reading the input -----------------------------------------------------------------------------


def _shards(size: int, jobs: int | None) -> int:
    """Parts to read in parallel: ``jobs`` when given, else one per usable core (at most four)
    for a history over 8 MB."""
    if jobs is not None:
        return jobs
    if size < PARALLEL_BYTES:
        return 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_SHARDS, usable or 1))


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


def _window(
    since: str | None, until: str | None, problems: list[str]
) -> tuple[int | None, int | None]:
    """``--from`` and ``--to`` as instants; a window that ends before it starts is a problem."""
    start = _instant(since, "--from", problems)
    end = _instant(until, "--to", problems)
    if start is not None and end is not None and end <= start:
        problems.append(f"--to {until} must come after --from {since}")
    return start, end


def _fraction(value: float, name: str, problems: list[str]) -> Fraction:
    try:
        return probability(Fraction(str(value)), name)
    except InvalidArgument as exc:
        problems.append(str(exc))
    except ValueError:  # nan and inf are not fractions
        problems.append(f"{name} {value} is not a number between 0 and 1 (e.g. 0.9)")
    return Fraction(1, 2)


def _source(events: str) -> tuple[Source, int, str]:
    try:
        return history_source(events)
    except OSError as exc:
        _fail([f"{events}: cannot read the file: {exc.strerror or exc}"])


def _bulk(run: Callable[[], T]) -> T:
    """``run()`` with the cyclic garbage collector paused (events and clocks form no cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if was_enabled:
            gc.enable()


# -- the commands ----------------------------------------------------------------------------------


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
    start, end = _window(since, until, problems)
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
    write_whatif(result, output, title)


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
    start, end = _window(since, until, problems)
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
    write_targets(result, output)


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
    write_staffing(result, output, team)


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


__all__ = ["staffing_command", "targets_command", "whatif_command"]
