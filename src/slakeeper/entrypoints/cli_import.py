"""``slakeeper import``: a help desk's ticket history into events (docs/import.md)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Import a help desk's ticket history: CSV with a mapping, Zendesk or Jira JSON exports.",
    no_args_is_help=True,
)
