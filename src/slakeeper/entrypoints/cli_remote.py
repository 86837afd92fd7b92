"""``slakeeper remote``: talk to a running slakeeper server through :mod:`slakeeper.client`.

Every command takes ``--url`` and ``--token`` (default: the environment's ``SLAKEEPER_URL`` and
``SLAKEEPER_TOKEN``). A failure — the server down, the token refused, bad input — is printed on
standard error as a line that says what is wrong (and one line per problem the server listed),
with exit status 2 and no traceback.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table

from slakeeper.client import (
    Alert,
    Client,
    Clock,
    EventsRejected,
    IngestResult,
    InvalidRequest,
    Risk,
    SlakeeperError,
)

BAD_INPUT = 2
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_BATCH = 1000

app = typer.Typer(
    help="Talk to a running slakeeper server (its URL and an API token).",
    no_args_is_help=True,
)
config_app = typer.Typer(
    help="The SLA configuration on the server: push a new version, show one.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")

UrlOption = Annotated[
    str, typer.Option("--url", envvar="SLAKEEPER_URL", help="The server's URL.", metavar="URL")
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SLAKEEPER_TOKEN",
        help="An API token (an admin makes one with `slakeeper tokens create`).",
        show_default=False,
        metavar="TOKEN",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object a line, for programs, instead of a table.")
]


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)


@contextmanager
def _server(url: str, token: str | None, *, need_token: bool = True) -> Iterator[Client]:
    """A client of the server; any client error ends the command with its lines and exit 2."""
    if need_token and not (token or "").strip():
        _fail(
            [
                "no API token: pass --token or set SLAKEEPER_TOKEN "
                "(an admin makes one with `slakeeper tokens create`)"
            ]
        )
    try:
        client = Client(url, token or None)
    except SlakeeperError as exc:
        _fail(exc.lines())
    with client:
        try:
            yield client
        except SlakeeperError as exc:
            _fail(exc.lines())


def _out() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _when(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return instant.strftime("%Y-%m-%d %H:%M:%S")


def _span(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def _write_lines(items: list[bytes]) -> None:
    out = sys.stdout.buffer
    for item in items:
        out.write(item)
        out.write(b"\n")
    out.flush()


# -- push --------------------------------------------------------------------------------------------


class _BadLine(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _JsonLines:
    """The events of a JSON Lines stream, decoded one line at a time; remembers the line of each
    of the last ``keep`` events (the batch being sent) so the server's issues can name lines."""

    def __init__(self, stream: BinaryIO, keep: int) -> None:
        self.stream = stream
        self.read = 0  # bytes
        self.recent: deque[tuple[int, int]] = deque(maxlen=keep)  # (event index, line)
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for number, raw in enumerate(self.stream, 1):
            self.read += len(raw)
            if not raw.strip():
                continue
            try:
                found = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise _BadLine(number, f"not valid JSON: {exc.msg}") from None
            self.recent.append((self.count, number))
            self.count += 1
            yield found

    def line_of(self, index: int | None) -> int | None:
        return None if index is None else dict(self.recent).get(index)


@contextmanager
def _push_progress(
    reader: _JsonLines, size: int | None
) -> Iterator[Callable[[IngestResult], None] | None]:
    """A progress bar on standard error while pushing, when it is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("pushing events"),
        BarColumn(),
        TextColumn("{task.fields[sent]} sent, {task.fields[new]} new"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("push", total=size, sent=0, new=0)

        def update(done: IngestResult) -> None:
            bar.update(task, completed=reader.read, sent=done.events, new=done.accepted)

        yield update


def _stored_before(stored: IngestResult, line: int | None) -> list[str]:
    if stored.events == 0:
        return ["nothing was stored"]
    before = f"before line {line}" if line is not None else "before it"
    return [
        f"the {stored.events} events {before} were stored ({stored.accepted} new); fix the file "
        "and push it again: events already stored are ignored"
    ]


@app.command("push")
def push_command(
    events: Annotated[
        str,
        typer.Argument(help="Ticket events as JSON Lines (SPEC §4); '-' reads standard input."),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=100_000, help="Events per request.")
    ] = DEFAULT_BATCH,
) -> None:
    """Send ticket events to the server in batches.

    Idempotent by event id: pushing the same file again stores nothing twice. A refused batch
    names each bad event by its line; the batches before it stay stored.
    """
    source = "<stdin>" if events == "-" else events
    with ExitStack() as stack:
        if events == "-":
            stream: BinaryIO = sys.stdin.buffer
            size = None
        else:
            try:
                stream = stack.enter_context(open(events, "rb"))
            except OSError as exc:
                _fail([f"{events}: cannot read the file: {exc.strerror or exc}"])
            size = Path(events).stat().st_size
        reader = _JsonLines(stream, batch_size)
        client = stack.enter_context(_server(url, token))
        progress = stack.enter_context(_push_progress(reader, size))
        stored = IngestResult()

        def on_batch(done: IngestResult) -> None:
            nonlocal stored
            stored = done
            if progress is not None:
                progress(done)

        try:
            result = client.post_events(reader, batch_size=batch_size, on_batch=on_batch)
        except _BadLine as exc:
            _fail([f"{source}: line {exc.line}: {exc.message}", *_stored_before(stored, exc.line)])
        except EventsRejected as exc:
            _fail(_rejected(exc, reader, source))
    batches = f"{result.batches} batch" + ("" if result.batches == 1 else "es")
    typer.echo(
        f"pushed {result.events} events in {batches} to {client.base_url}: {result.accepted} new, "
        f"{result.duplicates} already stored, {result.tickets} ticket updates"
    )


def _rejected(exc: EventsRejected, reader: _JsonLines, source: str) -> list[str]:
    lines: list[str] = []
    first_line = reader.line_of(exc.first)
    for issue in exc.issues:
        line = reader.line_of(issue.event)
        if line is None:
            lines.append(f"{exc.description}: {issue}" if exc.status else str(issue))
            continue
        label = issue.where
        rest = label[label.index("]") + 1 :] if label.startswith("events[") else ""
        lines.append(f"{source}: line {line}{rest}: {issue.message}")
    if not exc.issues:
        lines.append(exc.description)
    return lines + _stored_before(exc.stored, first_line)


# -- configuration -----------------------------------------------------------------------------------


@config_app.command("push")
def config_push(
    file: Annotated[
        str,
        typer.Argument(
            help="The SLA configuration (SPEC §3): YAML, or JSON in a file ending in .json; "
            "'-' reads YAML from standard input."
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Validate and store a configuration as the server's new version (admin token)."""
    with _server(url, token) as client:
        document: str | Path = sys.stdin.read() if file == "-" else Path(file)
        try:
            stored = client.put_config(document)
        except InvalidRequest as exc:
            if exc.issues:
                name = "<stdin>" if file == "-" else file
                _fail([f"{name}: {issue}" for issue in exc.issues])
            raise
    typer.echo(
        f"stored configuration version {stored.version} on {client.base_url} "
        f"(by {stored.author}, {_when(stored.created_at)} UTC)"
    )


@config_app.command("show")
def config_show(
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="A stored version (default: current).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The stored document as JSON, not the text as sent.")
    ] = False,
) -> None:
    """Print the server's configuration as it was sent (a version line goes to standard error)."""
    with _server(url, token) as client:
        found = client.config() if version is None else client.config_version(version)
    typer.echo(
        f"# configuration version {found.version}, stored {_when(found.created_at)} UTC "
        f"by {found.author}",
        err=True,
    )
    if as_json or found.source is None:
        typer.echo(json.dumps(found.document, ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(found.source if found.source.endswith("\n") else found.source + "\n")


# -- reading -----------------------------------------------------------------------------------------

_STYLE = {"active": "cyan", "paused": "yellow", "achieved": "green", "cancelled": "dim"}


def _clock_table(
    clocks: list[Clock],
    title: str,
    at: datetime | None = None,
    risks: Sequence[Risk | None] = (),
) -> None:
    table = Table(title=title, header_style="bold", expand=False)
    columns = ["ticket", "metric", "#", "policy", "target", "started", "status", "elapsed", "due"]
    if at is not None:
        columns.append("left")
    columns.append("breached")
    if any(risks):
        columns.append("risk")
    for name in columns:
        table.add_column(name, justify="right" if name in ("#", "left", "elapsed") else "left")
    for c in clocks:
        style = _STYLE.get(c.status, "")
        row = [
            c.ticket,
            c.metric,
            str(c.cycle),
            c.policy,
            _span(c.target_seconds),
            _when(c.started_at),
            f"[{style}]{c.status}[/]",
            _span(c.elapsed_seconds),
            _when(c.due_at),
        ]
        if at is not None:
            row.append("—" if c.due_at is None else _span((c.due_at - at).total_seconds()))
        row.append("[bold red]yes[/]" if c.breached else "no")
        if any(risks):
            risk = risks[len(table.rows)] if len(table.rows) < len(risks) else None
            row.append("—" if risk is None else f"{risk.probability:.0%}")
        table.add_row(*row)
    _out().print(table)


@app.command("clocks")
def clocks_command(
    ticket: Annotated[str, typer.Argument(help="The ticket's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    at: Annotated[
        str | None, typer.Option("--at", help="At this instant (RFC 3339); default: now.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A ticket's clocks (SPEC §6); --json writes them as `slakeeper evaluate` does."""
    with _server(url, token) as client:
        found = client.clocks(ticket, at=at)
    if as_json:
        _write_lines([orjson.dumps(c.as_dict()) for c in found])
        return
    if not found:
        typer.echo(f"{ticket} has no clocks: no policy applies to it", err=True)
        return
    _clock_table(found, f"SLA clocks of {ticket} (instants in UTC)")


@app.command("at-risk")
def at_risk_command(
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    within: Annotated[
        str, typer.Option("--within", help="Due within this long from now: 30m, 2h, 1h30m.")
    ] = "30m",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    min_risk: Annotated[
        float | None,
        typer.Option(
            "--min-risk", min=0, max=1, help="Also clocks whose breach risk is at least this."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Running clocks about to breach, soonest first, with their breach risk when a risk model
    is installed."""
    with _server(url, token) as client:
        found = client.at_risk(within, limit=limit, min_risk=min_risk)
    if as_json:
        _write_lines([orjson.dumps(c.as_dict()) for c in found.clocks])
        return
    window = f"within {_span(found.within.total_seconds())} of {_when(found.at)} UTC"
    if found.clocks:
        _clock_table(list(found.clocks), f"Due {window}", at=found.at, risks=found.risks)
    typer.echo(f"{len(found.clocks)} clock(s) due {window}", err=True)


@app.command("alerts")
def alerts_command(
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    ticket: Annotated[str | None, typer.Option(help="Of this ticket.")] = None,
    customer: Annotated[str | None, typer.Option(help="Of this customer.")] = None,
    kind: Annotated[str | None, typer.Option(help="warning, breach or escalation.")] = None,
    delivery: Annotated[
        str | None,
        typer.Option(help="With a delivery that is pending, delivered, dead or skipped."),
    ] = None,
    late: Annotated[
        bool | None, typer.Option("--late/--on-time", help="Fired late, or on time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest so many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Fired warnings, breaches and escalations, newest first, with their deliveries."""
    with _server(url, token) as client:
        found = list(
            islice(
                client.alerts(
                    ticket=ticket,
                    customer=customer,
                    kind=kind,
                    delivery=delivery,
                    late=late,
                    page_size=min(limit, 1000),
                ),
                limit,
            )
        )
    if as_json:
        _write_lines([orjson.dumps(a, option=orjson.OPT_UTC_Z) for a in found])
        return
    _alert_table(found)


def _alert_table(alerts: list[Alert]) -> None:
    if not alerts:
        typer.echo("no alerts", err=True)
        return
    table = Table(title="Alerts, newest first (instants in UTC)", header_style="bold")
    for name in ("fired", "kind", "threshold", "ticket", "metric", "#", "policy", "deliveries"):
        table.add_column(name, justify="right" if name == "#" else "left")
    for a in alerts:
        sent = ", ".join(f"{d.channel} {d.status} (#{d.id})" for d in a.deliveries) or "—"
        fired = _when(a.fired_at) + (" [yellow]late[/]" if a.late else "")
        table.add_row(fired, a.kind, a.threshold, a.ticket, a.metric, str(a.cycle), a.policy, sent)
    _out().print(table)
    typer.echo(f"{len(alerts)} alert(s)", err=True)


@app.command("retry")
def retry_command(
    delivery: Annotated[int, typer.Argument(help="The delivery's id (see `remote alerts`).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Send a dead (or skipped) delivery again; the worker picks it up at once."""
    with _server(url, token) as client:
        found = client.retry_delivery(delivery)
    typer.echo(f"delivery {found.id} ({found.channel}) is {found.status} again")


@app.command("health")
def health_command(url: UrlOption = DEFAULT_URL) -> None:
    """Check that the server and its database answer (no token needed)."""
    with _server(url, None, need_token=False) as client:
        found = client.health()
    version = "none yet" if found.config_version is None else str(found.config_version)
    typer.echo(
        f"{found.status}: {client.base_url}, database {found.database}, "
        f"configuration version {version}"
    )
