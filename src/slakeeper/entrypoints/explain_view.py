"""Explanations of clocks for people (Rich text) and programs (JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from rich.console import Console

from slakeeper.adapters.jsonl import clock_dict, seconds
from slakeeper.domain.clocks import Explanation
from slakeeper.domain.durations import format_duration
from slakeeper.domain.events import format_instant


def _duration(us: int) -> str:
    return format_duration(timedelta(microseconds=us - us % 1_000_000))


def explanation_dict(item: Explanation) -> dict[str, Any]:
    return {
        "clock": clock_dict(item.clock),
        "calendar": item.calendar,
        "pause_statuses": item.pause_statuses,
        "selection": [
            {"policy": v.policy, "applies": v.applies, "reason": v.reason} for v in item.selection
        ],
        "marks": [
            {"at": format_instant(m.at), "what": m.what, "event": m.event} for m in item.marks
        ],
        "segments": [
            {
                "from": format_instant(s.start),
                "to": format_instant(s.end),
                "status": s.status,
                "running": s.running,
                "business_seconds": seconds(s.business),
            }
            for s in item.segments
        ],
        "retargets": [
            {
                "at": format_instant(r.at),
                "event": r.event,
                "policy": r.policy,
                "target_seconds": None if r.target is None else seconds(r.target),
            }
            for r in item.retargets
        ],
    }


def print_explanations(items: Sequence[Explanation], console: Console | None = None) -> None:
    console = console or Console()
    for item in items:
        c = item.clock
        verdict = "[bold red]breached[/]" if c.breached else "[green]on time[/]"
        console.rule(f"[bold]{c.ticket} · {c.metric} #{c.cycle}[/] — {c.status}, {verdict}")
        console.print(
            f"policy [bold]{c.policy}[/], target {_duration(c.target)} on calendar "
            f"{item.calendar}; pauses in {', '.join(item.pause_statuses) or 'no status'}"
        )
        console.print("why this policy:")
        for v in item.selection:
            mark = "[green]✔[/]" if v.applies else "[dim]✘[/]"
            console.print(f"  {mark} {v.policy}: {v.reason}")
        console.print("what happened:")
        for m in item.marks:
            console.print(f"  {format_instant(m.at)}  {m.what} (event {m.event})")
        for r in item.retargets:
            target = "no target" if r.target is None else _duration(r.target)
            console.print(
                f"  {format_instant(r.at)}  re-targeted by event {r.event}: "
                f"{r.policy or 'no policy'}, {target}"
            )
        console.print("how it ran:")
        for s in item.segments:
            state = "running" if s.running else "paused"
            console.print(
                f"  {format_instant(s.start)} → {format_instant(s.end)}  {s.status:<8} "
                f"{state:<7} {_duration(s.business) if s.running else ''}"
            )
        due = "—" if c.due_at is None else format_instant(c.due_at)
        console.print(f"elapsed {_duration(c.elapsed)} of {_duration(c.target)}; due {due}\n")
