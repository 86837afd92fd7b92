"""``slakeeper remote``: talk to a running slakeeper server through :mod:`slakeeper.client`."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Talk to a running slakeeper server (its URL and an API token).",
    no_args_is_help=True,
)
