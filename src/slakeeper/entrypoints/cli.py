"""The ``slakeeper`` command line."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO, NoReturn

import typer

from slakeeper import __version__
from slakeeper.adapters.config_file import load_config
from slakeeper.adapters.jsonl import clock_line, read_records
from slakeeper.domain.calendar_spec import load_zone
from slakeeper.domain.config import SlaConfig
from slakeeper.domain.errors import EventError, InvalidInput, Issue
from slakeeper.domain.events import BadEvent, format_instant, parse_instant
from slakeeper.entrypoints.cli_assist import assist_app
from slakeeper.entrypoints.cli_availability import app as availability_app
from slakeeper.entrypoints.cli_customers import app as customers_app
from slakeeper.entrypoints.cli_import import app as import_app
from slakeeper.entrypoints.cli_model import app as model_app
from slakeeper.entrypoints.cli_remote import app as remote_app
from slakeeper.entrypoints.cli_simulate import simulate_command
from slakeeper.entrypoints.cli_whatif import staffing_command, targets_command, whatif_command
from slakeeper.entrypoints.explain_view import explanation_dict, print_explanations
from slakeeper.entrypoints.tables import clock_table
from slakeeper.service.evaluate import evaluate, explain_ticket

app = typer.Typer(
    name="slakeeper",
    help="SLA management: business calendars, SLA clocks, breaches and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

BAD_INPUT = 2
PROGRESS_BYTES = 8 * 1024 * 1024  # show a progress bar for inputs larger than this on a terminal


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="SLA configuration (YAML or JSON).")
]
EventsOption = Annotated[
    str,
    typer.Option("--events", "-e", help="Ticket events as JSON Lines; '-' reads standard input."),
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="Evaluation instant (RFC 3339); default: now.")
]


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"


INTERNAL_ERROR = 70  # EX_SOFTWARE


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(BAD_INPUT)


@app.callback()
def _root() -> None:
    """SLA management: business calendars, SLA clocks, breaches and reports."""


def _config_and_instant(config: Path, at: str | None) -> tuple[SlaConfig, int]:
    try:
        sla = load_config(config)
    except InvalidInput as exc:
        _fail(exc.lines())
    if at is None:
        return sla, parse_instant(datetime.now(UTC).isoformat())
    try:
        return sla, parse_instant(at, "--at")
    except BadEvent as exc:
        _fail([str(exc)])


def _open_events(stack: ExitStack, events: str) -> BinaryIO:
    if events == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(events, "rb"))
    except OSError as exc:
        _fail([f"{events}: cannot read the file: {exc.strerror or exc}"])


@contextmanager
def _event_records(events: str, progress: bool = False) -> Iterator[Iterator[tuple[int, object]]]:
    """The events file (or standard input) as records; bad events end the command with exit 2."""
    source = "<stdin>" if events == "-" else events
    with ExitStack() as stack:
        stream = _open_events(stack, events)
        bar = _progress(stack, stream, events) if progress else None
        try:
            yield read_records(stream, bar)
        except EventError as exc:
            _fail(EventError(exc.issues, source).lines())


@app.command("evaluate")
def evaluate_command(
    config: ConfigOption,
    events: EventsOption,
    at: AtOption = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="jsonl for programs, table for people.")
    ] = OutputFormat.jsonl,
) -> None:
    """Print every clock of every ticket at an instant (SPEC §6)."""
    sla, now = _config_and_instant(config, at)
    with _event_records(events, progress=True) as records, _bulk():
        result = evaluate(sla, records, now)
    if output is OutputFormat.table:
        clock_table(result.clocks, result.events, result.tickets)
        return
    write = sys.stdout.buffer.write
    for clock in result.clocks:
        write(clock_line(clock))
        write(b"\n")
    sys.stdout.buffer.flush()


@app.command("explain")
def explain_command(
    config: ConfigOption,
    events: EventsOption,
    ticket: Annotated[str, typer.Option("--ticket", "-t", help="The ticket to explain.")],
    at: AtOption = None,
    output: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="text for people, json for programs.")
    ] = ExplainFormat.text,
) -> None:
    """Explain every clock of one ticket: which policy applied and why, how it ran, what re-targeted it."""
    sla, now = _config_and_instant(config, at)
    with _event_records(events) as records:
        found = explain_ticket(sla, records, ticket, now)
    if output is ExplainFormat.json:
        sys.stdout.write(
            json.dumps([explanation_dict(e) for e in found], ensure_ascii=False, indent=2)
        )
        sys.stdout.write("\n")
    else:
        print_explanations(found)


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportKind(StrEnum):
    compliance = "compliance"
    times = "times"
    fcr = "fcr"
    csat = "csat"
    hours = "hours"


@app.command("report")
def report_command(
    kind: Annotated[
        ReportKind,
        typer.Argument(
            help="compliance (met/breached per metric), times (first response and resolution), "
            "fcr (first contact resolution, reopens), csat (met against breached), hours "
            "(breaches by hour of week)."
        ),
    ],
    config: ConfigOption,
    events: EventsOption,
    at: AtOption = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Count from this instant (RFC 3339).")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="Count until this instant.")] = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="Group by, comma-separated: metric, policy, priority, group, assignee, "
            "customer, service, channel, period (default: metric for compliance, none else)."
        ),
    ] = None,
    period: Annotated[str, typer.Option(help="day, week, month or quarter.")] = "month",
    tz: Annotated[str, typer.Option("--tz", help="Time zone of periods and hours.")] = "UTC",
    metric: Annotated[
        str, typer.Option(help="times: first_response or resolution.")
    ] = "first_response",
    output: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
) -> None:
    """Report SLA compliance, response and resolution times, first contact resolution, CSAT
    against SLA adherence and breaches by hour of week (definitions: docs/metrics.md)."""
    from slakeeper.domain import reports
    from slakeeper.entrypoints import report_view as view
    from slakeeper.service.evaluate import ticket_facts

    sla, now = _config_and_instant(config, at)
    if by is None:
        by = "metric" if kind is ReportKind.compliance else ""
    dims = [d.strip() for d in by.split(",") if d.strip()]
    problems = [
        f"--by: {d!r} is not one of {', '.join(reports.DIMENSIONS)}"
        for d in dims
        if d not in reports.DIMENSIONS
    ]
    if period not in reports.PERIODS:
        problems.append(f"--period: {period!r} is not one of {', '.join(reports.PERIODS)}")
    try:
        zone = load_zone(tz)
    except ValueError as exc:
        problems.append(f"--tz: {exc}")
        zone = load_zone("UTC")
    window: list[int | None] = []
    for name, value in (("--from", since), ("--to", until)):
        try:
            window.append(None if value is None else parse_instant(value, name))
        except BadEvent as exc:
            problems.append(str(exc))
            window.append(None)
    if kind is ReportKind.fcr and any(d in ("metric", "policy", "period") for d in dims):
        problems.append(
            "--by: fcr groups tickets: use priority, group, assignee, customer, service or channel"
        )
    if kind is ReportKind.times and metric not in ("first_response", "resolution"):
        problems.append(
            f"--metric: {metric!r}: times are reported for first_response and resolution"
        )
    if problems:
        _fail(problems)
    start, end = window
    with _event_records(events, progress=True) as records, _bulk():
        facts = ticket_facts(sla, records, now)
    if kind is ReportKind.compliance:
        rows = view.compliance_rows(
            dims, reports.compliance(reports.judged(facts, start, end), dims, period, zone)
        )
    elif kind is ReportKind.times:
        rows = view.time_rows(
            dims, reports.durations(facts, metric, dims, period, zone, start, end)
        )
    elif kind is ReportKind.fcr:
        rows = view.first_contact_rows(dims, reports.first_contact(facts, dims, start, end))
    elif kind is ReportKind.csat:
        rows = view.satisfaction_rows(reports.satisfaction(facts, start, end))
    else:
        rows = view.hour_rows(reports.breaches_by_hour(reports.judged(facts, start, end), zone))
    view.write(rows, output.value, f"{kind.value} report at {at or 'now'}")


class ReviewFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


@app.command("review")
def review_command(
    period: Annotated[str, typer.Option(help="A month (2026-10) or a quarter (2026-Q4).")],
    config: ConfigOption,
    events: EventsOption,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Review as of this instant (default: the period's end)."),
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help="Time zone of the period.")] = "UTC",
    objective: Annotated[
        float, typer.Option(min=0, max=100, help="Compliance objective, in percent.")
    ] = 95.0,
    output: Annotated[ReviewFormat, typer.Option("--format", "-f")] = ReviewFormat.html,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (PDF needs a file).")
    ] = None,
) -> None:
    """The periodic review of a month or quarter, overall and per customer: compliance against
    the objective, the trend, the worst policies and groups, the hours that breach most, example
    breaches."""
    from fractions import Fraction

    from slakeeper.domain.events import Event
    from slakeeper.domain.periods import window
    from slakeeper.domain.review import review, with_timelines
    from slakeeper.entrypoints import review_view as view
    from slakeeper.service.evaluate import ticket_facts

    try:
        zone = load_zone(tz)
    except ValueError as exc:
        _fail([f"--tz: {exc}"])
    try:
        span = window(period, zone)
    except ValueError as exc:
        _fail([f"--period: {exc}"])
    if output is ReviewFormat.pdf and out is None:
        _fail(["--format pdf needs --output FILE"])
    sla, now = _config_and_instant(config, at or format_instant(span.end))
    histories: dict[str, list[Event]] = {}
    with _event_records(events, progress=True) as records, _bulk():
        facts = ticket_facts(sla, records, now, histories)
    scopes = with_timelines(
        review(facts, period, zone, Fraction(str(objective)) / 100, now), histories
    )
    if output is ReviewFormat.json:
        text = json.dumps(view.as_dict(period, tz, scopes), ensure_ascii=False, indent=2) + "\n"
    elif output is ReviewFormat.csv:
        text = view.as_csv(period, scopes)
    else:
        text = view.as_html(period, tz, scopes, now)
    if output is ReviewFormat.pdf:
        assert out is not None
        try:
            view.as_pdf(text, out)
        except ValueError as exc:
            _fail([str(exc)])
        typer.echo(f"wrote {out}", err=True)
    elif out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)


@app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    demo: Annotated[
        bool,
        typer.Option(help="On an empty database: load the example SLA and a live demo history."),
    ] = False,
    worker: Annotated[
        bool,
        typer.Option(help="Also start the monitoring worker (`slakeeper worker`) beside the API."),
    ] = False,
) -> None:
    """Run the HTTP API: migrate the database, then serve (SLAKEEPER_DATABASE_URL, default SQLite)."""
    import uvicorn

    from slakeeper.bootstrap import bootstrap
    from slakeeper.entrypoints.api.app import create_app
    from slakeeper.entrypoints.serve import EXAMPLE_CONFIG, load_demo, new_admin_token
    from slakeeper.settings import Settings

    settings = Settings()
    if demo and settings.kb_path is None:  # the assistant answers from the example articles
        settings = settings.model_copy(update={"kb_path": EXAMPLE_CONFIG.parent / "kb"})
    svc = bootstrap(settings)
    if demo:
        with svc.uow.read() as store:
            empty = store.latest_config() is None
        if empty:
            version, stored = load_demo(svc, EXAMPLE_CONFIG, tickets=400, days=14)
            typer.echo(
                f"loaded the example configuration (version {version}) and {stored} demo events"
            )
        token = new_admin_token(svc, "make run")
        typer.echo(f"admin token (shown once): {token}")
    _tune_collector()
    listen_host = host or settings.host
    listen_port = port or settings.port
    typer.echo(f"slakeeper {__version__} on http://{listen_host}:{listen_port}  (API docs: /docs)")
    typer.echo(f"database: {svc.engine.url.render_as_string(hide_password=True)}")
    child = _start_worker(settings) if worker else None
    try:
        uvicorn.run(create_app(svc), host=listen_host, port=listen_port, log_level="info")
    finally:
        if child is not None:
            child.terminate()
            child.wait(10)


def _start_worker(settings: object) -> subprocess.Popen[bytes]:
    """The monitoring worker as a child process on the same database (its own interpreter, so
    sending never competes with the API for the GIL)."""
    from slakeeper.settings import Settings

    assert isinstance(settings, Settings)
    env = {**os.environ, "SLAKEEPER_DATABASE_URL": settings.resolved_database_url()}
    typer.echo("monitoring worker started (slakeeper worker)")
    return subprocess.Popen([sys.executable, "-m", "slakeeper.entrypoints.cli", "worker"], env=env)


@app.command("worker")
def worker_command(
    threads: Annotated[int, typer.Option(min=1, max=256, help="Deliveries sent at once.")] = 8,
    poll: Annotated[
        float, typer.Option(min=0.01, max=60, help="Seconds between looks for new work.")
    ] = 0.2,
    once: Annotated[
        bool, typer.Option(help="Fire and send what is due now, then exit (for cron or tests).")
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option(help="A folder of message templates that override the built-in ones."),
    ] = None,
) -> None:
    """Run the monitoring worker: warnings, breaches and escalations, sent through the channels.

    Reads SLAKEEPER_DATABASE_URL like `serve`; several workers may share one PostgreSQL database.
    """
    import logging
    import signal

    from slakeeper.adapters.notify.factory import ChannelFactory
    from slakeeper.bootstrap import bootstrap
    from slakeeper.entrypoints.worker import worker_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    svc = bootstrap()
    channels = ChannelFactory(templates=templates)
    runner = worker_for(svc, channels, threads, poll)
    try:
        if once:
            fired, sent = runner.run_once()
            typer.echo(f"fired {fired} alert(s), made {sent} delivery attempt(s)")
            return
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: runner.stop.set())
        typer.echo(f"slakeeper worker on {svc.engine.url.render_as_string(hide_password=True)}")
        runner.run()
    finally:
        channels.close()


def _tune_collector() -> None:
    """Keep the cyclic garbage collector's pauses out of the request path.

    A long-running server holds a large, long-lived heap (the ticket-state cache); a full
    collection scans all of it and stalls every request for hundreds of milliseconds. Reference
    counting frees every object that forms no cycle — all of the cache — so the collector is
    driven by a background thread instead: the young generations every second (cheap), the whole
    heap every ten minutes.
    """
    gc.collect()
    gc.freeze()
    gc.disable()

    def collect() -> None:
        rounds = 0
        while True:
            time.sleep(1.0)
            rounds += 1
            gc.collect(2 if rounds % FULL_COLLECTION_EVERY == 0 else 1)

    threading.Thread(target=collect, name="gc", daemon=True).start()


FULL_COLLECTION_EVERY = 600  # seconds between full collections


tokens_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
app.add_typer(availability_app, name="availability")
app.add_typer(customers_app, name="customers")
app.add_typer(import_app, name="import")
app.add_typer(remote_app, name="remote")
app.add_typer(model_app, name="model")
app.add_typer(assist_app, name="assist")
app.command("simulate")(simulate_command)
app.command("whatif")(whatif_command)
app.command("targets")(targets_command)
app.command("staffing")(staffing_command)


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="admin, agent or viewer.")],
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    customer: Annotated[
        str | None, typer.Option(help="Limit the token to one customer's tickets.")
    ] = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.service.tokens import create_token

    svc = bootstrap()
    try:
        _, token = create_token(svc.uow, name, role, customer, svc.now())
    except InvalidInput as exc:
        _fail(exc.lines())
    typer.echo(token)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token with its role, customer and state (never the token itself)."""
    from slakeeper.bootstrap import bootstrap

    svc = bootstrap()
    with svc.uow.read() as store:
        for row in store.tokens():
            state = "revoked" if row.revoked_at is not None else "active"
            typer.echo(f"{row.id}\t{row.name}\t{row.role}\t{row.customer or '-'}\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see tokens list).")],
) -> None:
    """Revoke a token; it stops working at once."""
    from slakeeper.bootstrap import bootstrap

    svc = bootstrap()
    with svc.uow() as store:
        if not store.revoke_token(token_id, svc.now()):
            _fail([f"no active token {token_id}"])
    typer.echo(f"revoked token {token_id}")


@app.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema (also done by serve)."""
    from slakeeper.bootstrap import bootstrap

    svc = bootstrap()
    typer.echo(
        f"database at the latest schema: {svc.engine.url.render_as_string(hide_password=True)}"
    )


def _progress(stack: ExitStack, stream: BinaryIO, path: str) -> Callable[[int], None] | None:
    """A Rich progress bar on standard error for large files when it is a terminal."""
    if path == "-" or not sys.stderr.isatty():
        return None
    size = os.path.getsize(path)
    if size < PROGRESS_BYTES:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    bar = stack.enter_context(
        Progress(
            "reading events",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
    )
    task = bar.add_task("read", total=size)
    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= 1 << 20:
            bar.advance(task, pending)
            pending = 0

    return advance


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic records are built.

    The events and clocks form no cycles; without this, full collections rescan them again and
    again as they accumulate.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def main() -> None:
    """Console entry point: bad input exits 2 with a message, never a traceback."""
    try:
        app()
    except InvalidInput as exc:
        _print_issues(exc.issues)
        sys.exit(BAD_INPUT)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        if os.environ.get("SLAKEEPER_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0][:300]
        typer.echo(
            f"slakeeper: unexpected error ({type(exc).__name__}: {first}); this is a bug — "
            "run again with SLAKEEPER_DEBUG=1 for the details and report it",
            err=True,
        )
        sys.exit(INTERNAL_ERROR)


def _print_issues(issues: tuple[Issue, ...]) -> None:
    for issue in issues:
        print(str(issue), file=sys.stderr)


if __name__ == "__main__":
    main()
