"""Rich tables for people reading clocks in a terminal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from slakeeper.domain.clocks import Clock
from slakeeper.domain.durations import format_duration
from slakeeper.domain.events import format_instant

_US = 1_000_000
_STYLE = {"active": "cyan", "paused": "yellow", "achieved": "green", "cancelled": "dim"}


def _instant(us: int | None) -> str:
    return "—" if us is None else format_instant(us).replace("T", " ").removesuffix("Z")


def _hours(us: int) -> str:
    minutes, seconds = divmod(us // _US, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def clock_table(
    clocks: Sequence[Clock], events: int, tickets: int, console: Console | None = None
) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
    table = Table(title="SLA clocks (instants in UTC)", header_style="bold", expand=False)
    for name, justify in (
        ("ticket", "left"),
        ("metric", "left"),
        ("#", "right"),
        ("policy", "left"),
        ("target", "right"),
        ("started", "left"),
        ("stopped", "left"),
        ("status", "left"),
        ("elapsed", "right"),
        ("due", "left"),
        ("breached", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    from datetime import timedelta

    for c in clocks:
        style = _STYLE.get(c.status, "")
        table.add_row(
            c.ticket,
            c.metric,
            str(c.cycle),
            c.policy,
            format_duration(timedelta(microseconds=c.target)),
            _instant(c.started_at),
            _instant(c.stopped_at),
            f"[{style}]{c.status}[/]",
            _hours(c.elapsed),
            _instant(c.due_at),
            "[bold red]yes[/]" if c.breached else "no",
        )
    console.print(table)
    statuses = Counter(c.status for c in clocks)
    breached = sum(c.breached for c in clocks)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    console.print(
        f"{events} events, {tickets} tickets, {len(clocks)} clocks ({summary}); "
        f"[bold red]{breached} breached[/]"
    )
