"""``slakeeper customers``: the CRM's customers and organisations in the store the service uses
(the database of ``SLAKEEPER_DATABASE_URL``), from a CSV export (docs/semantics.md §12)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from slakeeper.domain.errors import InvalidInput, Issue

app = typer.Typer(
    help="Customers and organisations from the CRM: import a CSV, list them.",
    no_args_is_help=True,
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput([Issue(str(path), f"cannot be read: {exc}")]) from None


@app.command("import")
def import_command(
    customers: Annotated[
        Path | None, typer.Argument(help="A CSV of customers: id, name, organisation, ...")
    ] = None,
    organisations: Annotated[
        Path | None,
        typer.Option(help="A CSV of organisations (the same columns but organisation)."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(help="Each file given is the whole list it holds (else merged by id)."),
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Check the files; store nothing.")] = False,
) -> None:
    """Add or update customers (and organisations) from CSV exports, as one configuration
    version. A column id is required; name, organisation, contract_start and contract_end are
    read as such; every other column is an attribute (tier, region, ...). Any bad row refuses
    the whole import, each reported with its line."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.domain.customers import entries_from_csv
    from slakeeper.service.customers import put_customers

    if customers is None and organisations is None:
        raise InvalidInput("give a CSV of customers, --organisations, or both")
    found: dict[str, list[dict[str, Any]]] = {"customers": [], "organisations": []}
    lines: list[str] = []
    problems: list[Issue] = []
    for key, path in (("customers", customers), ("organisations", organisations)):
        if path is None:
            continue
        read = entries_from_csv(_read(path), str(path))
        issues = list(read.issues)
        if key == "organisations":
            issues += [
                Issue(line, "organisation: an organisation has no organisation")
                for e, line in zip(read.entries, read.lines, strict=True)
                if "organisation" in e
            ]
        else:
            lines = read.lines
        found[key], problems = read.entries, problems + issues
    if problems:
        raise InvalidInput(problems)
    if dry_run:
        typer.echo(
            f"{len(found['customers'])} customers and {len(found['organisations'])} "
            "organisations read; nothing stored (dry run)"
        )
        return
    svc = bootstrap()
    got = put_customers(
        svc.uow,
        svc.config,
        found["customers"],
        found["organisations"],
        "cli",
        svc.now(),
        replace=[
            k
            for k, path in (("customers", customers), ("organisations", organisations))
            if path is not None
        ]
        if replace
        else (),
        names=lines,
    )
    typer.echo(
        f"configuration version {got.version.version}: {got.customers} customers, "
        f"{got.organisations} organisations; {len(got.changed)} changed"
        + (
            f" ({', '.join(got.changed[:10])}{' …' if len(got.changed) > 10 else ''})"
            if got.changed
            else ""
        )
    )


@app.command("list")
def list_command() -> None:
    """Every customer with its organisation, attributes (its own, then inherited) and contract."""
    from slakeeper.bootstrap import bootstrap
    from slakeeper.service.configuration import ConfigCache
    from slakeeper.service.customers import directory_of

    svc = bootstrap()
    with svc.uow.read() as store:
        directory = directory_of(ConfigCache().current(store))
    for party in directory.customers.values():
        inherited = {
            k: v for k, v in directory.effective(party.id).items() if k not in party.attributes
        }
        attributes = ", ".join(f"{k}={v}" for k, v in party.attributes.items())
        if inherited:
            attributes += " (" + ", ".join(f"{k}={v}" for k, v in inherited.items()) + ")"
        start, end = directory.contract(party.id)
        contract = f"{start or '…'} – {end or '…'}" if start or end else "-"
        typer.echo(f"{party.id}\t{party.organisation or '-'}\t{attributes or '-'}\t{contract}")
