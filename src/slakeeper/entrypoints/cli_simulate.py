"""``slakeeper simulate``: play a workload model (``docs/simulation.md``) and write the ticket
history it makes as SPEC §4 JSON Lines, with a short summary on standard error; or, with
``--compare``, play it under every router and print their breaches under an SLA configuration."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO, NoReturn

import orjson
import typer

from slakeeper.adapters.config_file import load_config, parse_document
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import ConfigError, InvalidInput, Issue
from slakeeper.simulation import SLA_ROUTERS, compare, make_router, parse_simulation, simulate
from slakeeper.simulation.config import MAX_DAYS
from slakeeper.simulation.model import SimConfig

BAD_INPUT = 2
_CHUNK = 4096  # events encoded per write


class RouterName(StrEnum):
    round_robin = "round_robin"
    least_loaded = "least_loaded"
    sla_aware = "sla_aware"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"


def simulate_command(
    config: Annotated[
        Path,
        typer.Option(
            "--config", "-c", help="The workload model (YAML), e.g. examples/simulation.yaml."
        ),
    ],
    seed: Annotated[int | None, typer.Option(help="Random seed; default: the model's.")] = None,
    days: Annotated[
        int | None, typer.Option(help="Days from the model's start; default: the model's.")
    ] = None,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Where the events go; '-' is standard output.")
    ] = "-",
    router: Annotated[
        RouterName,
        typer.Option(help="Who gets a queued ticket; sla_aware needs --sla."),
    ] = RouterName.round_robin,
    sla: Annotated[
        Path | None,
        typer.Option("--sla", help="The SLA configuration, for --router sla_aware and --compare."),
    ] = None,
    compare_routers: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Play the model under every router (the same tickets) and print each one's "
            "breaches under --sla instead of the events.",
        ),
    ] = False,
    output_format: Annotated[
        CompareFormat | None,
        typer.Option("--format", "-f", help="With --compare: table (default) or json."),
    ] = None,
) -> None:
    """Simulate a support team and write its ticket events (SPEC §4), seeded and reproducible."""
    try:
        model = _model(config, seed, days)
        issues = []
        if (compare_routers or router.value in SLA_ROUTERS) and sla is None:
            why = "--compare" if compare_routers else f"--router {router.value}"
            issues.append(Issue("--sla", f"{why} needs the SLA configuration (sla.yaml)"))
        if output_format is not None and not compare_routers:
            issues.append(Issue("--format", "only with --compare: the events are JSON Lines"))
        if issues:
            raise InvalidInput(issues)
        sla_config = None if sla is None else load_config(sla)
    except InvalidInput as exc:
        _fail(exc.lines())
    if compare_routers:
        assert sla_config is not None
        _compare(model, sla_config, out, output_format or CompareFormat.table)
        return
    run = simulate(model, make_router(router.value, sla_config, model.agents))
    with _output(out) as stream:
        write = stream.write
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        chunk: list[bytes] = []
        for event in run.events():
            chunk.append(dumps(event, option=newline))
            if len(chunk) == _CHUNK:
                write(b"".join(chunk))
                chunk.clear()
        write(b"".join(chunk))
    for line in run.summary().lines():
        typer.echo(line, err=True)


def _compare(model: SimConfig, sla: SlaConfig, out: str, output_format: CompareFormat) -> None:
    comparison = compare(model, sla)
    if output_format == CompareFormat.json:
        text = orjson.dumps(comparison.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    else:
        text = "".join(f"{line}\n" for line in comparison.lines()).encode()
    with _output(out) as stream:
        stream.write(text)


def _model(path: Path, seed: int | None, days: int | None) -> SimConfig:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue("", f"cannot read the file: {exc}")], source) from None
    try:
        model = parse_simulation(parse_document(text, source))
    except ConfigError as exc:
        raise ConfigError(exc.issues, exc.source or source) from None
    issues = []
    if seed is not None and not 0 <= seed < 2**63:
        issues.append(Issue("--seed", f"{seed} must lie between 0 and 2^63 - 1"))
    if days is not None and not 1 <= days <= MAX_DAYS:
        issues.append(Issue("--days", f"{days} must lie between 1 and {MAX_DAYS}"))
    if issues:
        raise InvalidInput(issues)
    return dataclasses.replace(
        model,
        seed=model.seed if seed is None else seed,
        days=model.days if days is None else days,
    )


@contextmanager
def _output(out: str) -> Iterator[BinaryIO]:
    if out == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        stream = open(out, "wb")  # noqa: SIM115 - closed below, after the events are written
    except OSError as exc:
        _fail([f"{out}: cannot write the file: {exc.strerror or exc}"])
    with stream:
        yield stream


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)
