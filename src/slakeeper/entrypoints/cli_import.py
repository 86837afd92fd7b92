"""``slakeeper import``: a help desk's ticket history into events (docs/import.md).

``slakeeper import csv FILE... --mapping MAP.yaml``, ``slakeeper import zendesk FILE...`` and
``slakeeper import jira FILE...`` read an export, check every ticket's history, and store the good
tickets through the service's ingest into the database of ``SLAKEEPER_DATABASE_URL`` — or, with
``--out``, write them as JSON Lines, or, with ``--dry-run``, only count them. Every row that cannot
be used is printed on standard error with its file, place, field and reason (and written to
``--errors FILE`` as CSV); the summary follows.

Exit status: 0 when everything was imported, 1 when rows were skipped (the rest was imported),
2 when nothing could be done (a missing file, a bad mapping file, no stored configuration).
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated, NoReturn

import typer

from slakeeper.adapters.importers.common import Item, OnBytes, Problem
from slakeeper.adapters.importers.load import (
    BATCH_EVENTS,
    JsonlSink,
    Sink,
    StoreSink,
    Tally,
    run,
)
from slakeeper.adapters.importers.mapping import Mapping
from slakeeper.domain.errors import InvalidInput
from slakeeper.domain.events import format_instant

app = typer.Typer(
    help="Import a help desk's ticket history: CSV with a mapping, Zendesk or Jira JSON exports.",
    no_args_is_help=True,
)

BAD_INPUT = 2
SKIPPED = 1
SHOWN_PROBLEMS = 50  # problems printed one by one; the rest are counted (all go to --errors)
PROGRESS_BYTES = 1 << 20  # a progress bar for inputs larger than this, on a terminal

FilesArgument = Annotated[
    list[Path], typer.Argument(help="The export file(s).", show_default=False)
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Read and check everything, store nothing, print what would be imported."
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write the events as JSON Lines here ('-': standard output) instead."
    ),
]
ErrorsOption = Annotated[
    Path | None,
    typer.Option("--errors", help="Write the rows that cannot be imported, with why, as CSV."),
]
BatchOption = Annotated[
    int, typer.Option("--batch", min=1, help="Events per stored batch (one transaction).")
]


def _fail(lines: Sequence[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)


@app.command("csv")
def csv_command(
    files: FilesArgument,
    mapping: Annotated[
        Path,
        typer.Option(
            "--mapping", "-m", help="The mapping file (YAML): which column holds what, see docs."
        ),
    ],
    dry_run: DryRunOption = False,
    out: OutOption = None,
    errors: ErrorsOption = None,
    batch: BatchOption = BATCH_EVENTS,
) -> None:
    """Import CSV exports (one row per ticket and/or per event) read through a mapping file."""
    from slakeeper.adapters.importers.csv_mapping import CsvStats, plan, read_csv
    from slakeeper.adapters.importers.mapping import load_mapping

    paths = _existing(files)
    try:
        rules = load_mapping(mapping)
        planned = plan(paths, rules)
    except InvalidInput as exc:
        _fail(exc.lines())
    stats = CsvStats()

    def items(on_bytes: OnBytes | None) -> Iterator[Item]:
        return read_csv(planned, rules, on_bytes, stats)

    def rows(problems: list[Problem]) -> dict[tuple[str, int], str]:
        from slakeeper.adapters.importers.csv_mapping import rows_at

        return rows_at(problems, rules)

    def notes() -> list[str]:
        if not stats.ignored:
            return []
        kinds = ", ".join(f"{k!r} {n:,}" for k, n in sorted(stats.ignored_kinds.items()))
        return [f"ignored   {stats.ignored:,} rows mapped to ignore ({kinds or 'ratings'})"]

    _import("csv", paths, items, dry_run, out, errors, batch, rows, notes)


@app.command("zendesk")
def zendesk_command(
    files: FilesArgument,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", "-m", help="Optional: value maps (values:) and a ticket_prefix, YAML."
        ),
    ] = None,
    users: Annotated[
        list[Path] | None,
        typer.Option(
            "--users", help="A users export: end users' comments are the customer's (repeatable)."
        ),
    ] = None,
    dry_run: DryRunOption = False,
    out: OutOption = None,
    errors: ErrorsOption = None,
    batch: BatchOption = BATCH_EVENTS,
) -> None:
    """Import Zendesk JSON exports: tickets with audits or comments, incremental ticket events."""
    from slakeeper.adapters.importers.zendesk_export import (
        ZendeskOptions,
        read_users,
        read_zendesk,
    )

    paths = _existing(files)
    rules = _optional_mapping(mapping)
    roles = read_users(_existing(users)) if users else {}
    options = ZendeskOptions(rules, roles)

    def items(on_bytes: OnBytes | None) -> Iterator[Item]:
        return read_zendesk(paths, options, on_bytes)

    _import("zendesk", paths, items, dry_run, out, errors, batch)


@app.command("jira")
def jira_command(
    files: FilesArgument,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", "-m", help="Optional: value maps (values:) and a ticket_prefix, YAML."
        ),
    ] = None,
    dry_run: DryRunOption = False,
    out: OutOption = None,
    errors: ErrorsOption = None,
    batch: BatchOption = BATCH_EVENTS,
) -> None:
    """Import Jira issues as the REST search returns them with expand=changelog."""
    from slakeeper.adapters.importers.jira_export import read_jira

    paths = _existing(files)
    rules = _optional_mapping(mapping)

    def items(on_bytes: OnBytes | None) -> Iterator[Item]:
        return read_jira(paths, rules, on_bytes)

    _import("jira", paths, items, dry_run, out, errors, batch)


# -- the shared run ---------------------------------------------------------------------------


def _existing(files: Sequence[Path]) -> list[str]:
    problems = [
        f"{f}: no such file" if not f.exists() else f"{f}: not a file"
        for f in files
        if not f.is_file()
    ]
    if problems:
        _fail(problems)
    return [str(f) for f in files]


def _optional_mapping(path: Path | None) -> Mapping:
    from slakeeper.adapters.importers.mapping import load_mapping

    if path is None:
        return Mapping()
    try:
        return load_mapping(path, columns=False)
    except InvalidInput as exc:
        _fail(exc.lines())


Rows = Callable[[list[Problem]], dict[tuple[str, int], str]]


def _import(
    kind: str,
    paths: list[str],
    items: Callable[[OnBytes | None], Iterator[Item]],
    dry_run: bool,
    out: Path | None,
    errors: Path | None,
    batch: int,
    rows: Rows | None = None,
    notes: Callable[[], list[str]] | None = None,
) -> None:
    from slakeeper.entrypoints.cli import _bulk

    if dry_run and out is not None:
        _fail(["--dry-run writes nothing: leave out --out (or --dry-run)"])
    to_stdout = out is not None and str(out) == "-"
    report = sys.stderr if to_stdout else sys.stdout
    with ExitStack() as stack:
        printer = _Printer()
        tally = Tally(on_problem=printer.problem)
        sink: Sink
        if dry_run:
            sink = Sink(tally)
        elif out is not None:
            stream: IO[bytes] = sys.stdout.buffer if to_stdout else _open_out(stack, out)
            sink = JsonlSink(tally, stream)
        else:
            sink = _store_sink(tally, batch)
        on_bytes = _progress(stack, paths, tally, printer)
        try:
            with _bulk():
                run(items(on_bytes), sink)
        except InvalidInput as exc:  # no configuration any more, a stored version unreadable
            _fail(exc.lines())
        except BrokenPipeError:
            raise
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _fail([f"{where}{exc.strerror or exc}"])
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            _fail(
                [
                    f"the database failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
                    f"{tally.tickets:,} tickets were stored before; running the import again "
                    "is harmless (what is stored is kept, the rest is added)",
                ]
            )
    printer.rest(errors)
    if errors is not None:
        _write_errors(errors, tally.problems, rows)
    _summary(kind, paths, tally, dry_run, out, errors, report, notes() if notes else [])
    if tally.problems:
        raise typer.Exit(SKIPPED)


def _open_out(stack: ExitStack, out: Path) -> IO[bytes]:
    try:
        return stack.enter_context(open(out, "wb"))
    except OSError as exc:
        _fail([f"{out}: cannot write the file: {exc.strerror or exc}"])


def _is_database_error(exc: Exception) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


def _store_sink(tally: Tally, batch: int) -> StoreSink:
    """Ingest into the configured database; it must hold an SLA configuration already."""
    from sqlalchemy.exc import SQLAlchemyError

    from slakeeper.bootstrap import bootstrap

    try:
        svc = bootstrap()
        with svc.uow.read() as store:
            version = store.latest_version()
    except SQLAlchemyError as exc:
        _fail([f"cannot use the database: {str(exc).splitlines()[0]}"])
    url = svc.engine.url.render_as_string(hide_password=True)
    if version is None:
        _fail(
            [
                f"the database {url} has no SLA configuration yet: the clocks of imported "
                "tickets are derived with it, so store one first (PUT /v1/config, see README), "
                "or check the export with --dry-run, or write the events with --out"
            ]
        )
    return StoreSink(tally, svc.uow, svc.config, svc.now, batch)


class _Printer:
    """Problems on standard error, one line each, the first SHOWN_PROBLEMS of them."""

    def __init__(self) -> None:
        self.shown = 0
        self.hidden = 0
        self.echo: Callable[[str], None] = lambda line: typer.echo(line, err=True)

    def problem(self, problem: Problem) -> None:
        if self.shown < SHOWN_PROBLEMS:
            self.shown += 1
            self.echo(str(problem))
        else:
            self.hidden += 1

    def rest(self, errors: Path | None) -> None:
        if self.hidden:
            where = f"in {errors}" if errors is not None else "with --errors FILE"
            typer.echo(f"... and {self.hidden:,} more (every one {where})", err=True)


def _progress(
    stack: ExitStack, paths: list[str], tally: Tally, printer: _Printer
) -> OnBytes | None:
    """A Rich progress bar on standard error when it is a terminal and the input is large."""
    if not sys.stderr.isatty():
        return None
    size = sum(os.path.getsize(p) for p in paths)
    if size < PROGRESS_BYTES:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = stack.enter_context(
        Progress(
            "importing",
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[tickets]} tickets"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
    )
    printer.echo = lambda line: bar.console.print(line, markup=False, highlight=False)
    task = bar.add_task("import", total=size, tickets="0")
    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= 1 << 20:
            bar.update(task, advance=pending, tickets=f"{tally.tickets:,}")
            pending = 0

    return advance


# -- the report ---------------------------------------------------------------------------------


def _write_errors(path: Path, problems: list[Problem], rows: Rows | None) -> None:
    """The unusable rows as CSV: file, place, ticket, field, reason, and the row itself (CSV)."""
    copies = rows(problems) if rows is not None else {}
    try:
        with open(path, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["file", "place", "ticket", "field", "reason", "row"])
            for p in problems:
                row = copies.get((p.source, p.line), "") if p.line is not None else ""
                writer.writerow([p.source, p.place, p.ticket or "", p.field or "", p.reason, row])
    except OSError as exc:
        typer.echo(f"{path}: cannot write the file: {exc.strerror or exc}", err=True)


def _summary(
    kind: str,
    paths: list[str],
    tally: Tally,
    dry_run: bool,
    out: Path | None,
    errors: Path | None,
    report: IO[str],
    notes: list[str],
) -> None:
    lines = [f"slakeeper import {kind}: {', '.join(paths)}" + (" (dry run)" if dry_run else "")]
    verb = "would be imported" if dry_run else ("written" if out is not None else "imported")
    skipped = len(tally.skipped_tickets)
    lines.append(
        f"tickets   {tally.tickets:,} {verb}" + (f", {skipped:,} skipped" if skipped else "")
    )
    by_type = " · ".join(f"{t} {n:,}" for t, n in sorted(tally.events.items()))
    lines.append(f"events    {tally.total_events:,}" + (f": {by_type}" if by_type else ""))
    if tally.first_at is not None and tally.last_at is not None:
        lines.append(
            f"period    {format_instant(tally.first_at)} to {format_instant(tally.last_at)}"
        )
    if dry_run:
        lines.append("stored    nothing (dry run)")
    elif out is not None:
        lines.append(f"written   to {'standard output' if str(out) == '-' else out}")
    else:
        lines.append(f"stored    {tally.stored:,} new events, {tally.already:,} were stored before")
    lines.extend(notes)
    if tally.problems:
        lines.append(
            f"skipped   {len(tally.problems):,} rows or records"
            + (f", listed in {errors}" if errors is not None else "")
            + ", by reason:"
        )
        groups = Counter(_group(p) for p in tally.problems)
        first: dict[str, Problem] = {}
        for p in tally.problems:
            first.setdefault(_group(p), p)
        for reason, count in groups.most_common():
            example = first[reason]
            lines.append(f"  {count:>8,}  {reason}  (first: {example.source} {example.place})")
    report.write("\n".join(lines) + "\n")
    report.flush()


def _group(problem: Problem) -> str:
    return problem.kind
