"""``slakeeper availability``: an objective's report and the customers' monthly statements, from
the store the service writes (the database of ``SLAKEEPER_DATABASE_URL``); the objectives of a
configuration file to and from OpenSLO v1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from slakeeper.domain.errors import InvalidInput, Issue
from slakeeper.entrypoints import report_view as view

app = typer.Typer(
    help="Service availability: uptime, error budgets, burn rates and credits.",
    no_args_is_help=True,
)
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
]


def _check(form: str) -> None:
    if form not in ("table", "json", "csv"):
        raise InvalidInput([Issue("format", f"{form!r}: use table, json or csv")])


@app.command("report")
def report_command(
    service: Annotated[str, typer.Option(help="The service, as named in the configuration.")],
    period: Annotated[
        str | None, typer.Option(help="2026-10, 2026-Q4 or 2026 (default: the current one).")
    ] = None,
    objective: Annotated[
        str | None, typer.Option(help="The objective (default: the service's first).")
    ] = None,
    form: FormatOption = "table",
) -> None:
    """Uptime, error budget, burn rates, projection and daily uptime of an objective."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.entrypoints.availability_view import report_out
    from slakeeper.service.availability import availability_report
    from slakeeper.service.queries import NotFound

    _check(form)
    svc = bootstrap()
    try:
        found = report_out(
            availability_report(svc.uow, svc.config, service, objective, period, svc.now())
        )
    except NotFound as exc:
        raise InvalidInput([Issue("service", str(exc))]) from None
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput([Issue("period", str(exc))]) from None
    if form == "json":
        view.write([found], "json", "")
        return
    summary: dict[str, Any] = {
        "service": found["service"],
        "objective": found["objective"],
        "window": found["window"]["label"],
        "target %": found["target_pct"],
        "uptime %": found["uptime_pct"],
        "met": found["met"],
        "budget left %": found["budget"]["remaining_pct"],
        "projected %": found["projected_uptime_pct"],
        **{f"burn {k}": v for k, v in found["burn_rates"].items()},
    }
    view.write([summary], form, f"{found['service']} — {found['objective']}")
    if form == "table":
        view.write(found["days"], form, "uptime per day")


@app.command("statements")
def statements_command(
    period: Annotated[str, typer.Option(help="The month: 2026-10.")],
    customer: Annotated[str | None, typer.Option(help="One customer's statement.")] = None,
    form: FormatOption = "table",
) -> None:
    """Each customer's monthly statement: uptime per service, credits owed, ticket SLAs. A
    closed month's statements are issued on first reading and frozen from then on."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.entrypoints.availability_view import statement_out
    from slakeeper.service.availability import statements

    _check(form)
    svc = bootstrap()
    found = [statement_out(s) for s in statements(svc.uow, svc.config, period, svc.now(), customer)]
    if form == "json":
        view.write(found, "json", "")
        return
    rows = [
        {
            "customer": s["customer"],
            "status": s["status"],
            "version": s["version"],
            "service": c["service"],
            "uptime %": c["uptime_pct"],
            "credit %": c["credit_pct"],
            "credit": f"{c['credit']} {s['currency']}",
            "ticket SLAs %": s["ticket_compliance_pct"],
            "claim by": s["claim_by"],
        }
        for s in found
        for c in s["services"]
    ]
    view.write(rows, form, f"statements — {period}")


@app.command("openslo-export")
def openslo_export_command(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="SLA configuration (YAML or JSON).")
    ],
    out: OutputOption = None,
) -> None:
    """The services and objectives of a configuration file as OpenSLO v1 documents (Service, SLI
    and SLO); what only slakeeper knows goes into slakeeper.io/ annotations."""
    from slakeeper.adapters.config_file import load_config
    from slakeeper.adapters.openslo import export_documents

    try:  # load_config reads the file, parse_document()s it and parse_config()s the document
        sla = load_config(config)
    except InvalidInput as exc:
        raise _located(exc, str(config)) from None
    _emit(export_documents(sla.availability), out)


@app.command("openslo-import")
def openslo_import_command(
    file: Annotated[Path, typer.Argument(help="OpenSLO v1 YAML: Service, SLO and SLI objects.")],
    out: OutputOption = None,
) -> None:
    """OpenSLO v1 documents as the impact_weights and services sections of a configuration, to
    merge into sla.yaml; anything without a place in slakeeper is refused, named."""
    import yaml

    from slakeeper.adapters.openslo import import_documents

    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            [Issue(source, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput([Issue(source, "the file is not UTF-8 text")]) from None
    try:
        sections = import_documents(text)
    except InvalidInput as exc:
        raise _located(exc, source) from None
    body = yaml.safe_dump(sections, sort_keys=False, allow_unicode=True, width=4096)
    _emit(f"# from OpenSLO v1 ({source}), converted for slakeeper\n{body}", out)


def _located(exc: InvalidInput, source: str) -> InvalidInput:
    """The issues of ``exc`` each naming the file first (the console prints issues alone)."""
    return InvalidInput(
        [Issue(f"{source}: {i.where}" if i.where else source, i.message) for i in exc.issues]
    )


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            [Issue("--output", f"cannot write {out}: {exc.strerror or exc}")]
        ) from None
    typer.echo(f"wrote {out}", err=True)
