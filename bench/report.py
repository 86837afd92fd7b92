"""Result containers shared by the benchmarks, and their rendering (terminal and Markdown)."""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path


@dataclass
class Table:
    """One table of a benchmark: already-formatted cells, one list per row."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Figure:
    """A target from the issue and what this run measured. ``met`` is None when not measured."""

    name: str
    target: str
    measured: str
    met: bool | None

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "not measured"
        return "met" if self.met else "NOT met"


@dataclass
class Section:
    """Everything one benchmark (``calendar`` or ``evaluate``) reports."""

    key: str
    title: str
    mode: str  # "full" or "quick"
    run_at: str
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- numbers -------------------------------------------------------------------------------------


def fmt_us(us: float) -> str:
    if us >= 1000:
        return f"{us:,.0f}"
    if us >= 10:
        return f"{us:.1f}"
    if us >= 0.1:
        return f"{us:.2f}"
    return f"{us:.3f}"


def fmt_rate(per_s: float) -> str:
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k/s"
    return f"{per_s:.0f} /s"


def fmt_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.1f}×"
    return f"{ratio:.2f}×"


# -- machine -------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else (platform.processor() or "unknown")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> list[tuple[str, str]]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()} logical" + (f" ({affinity} usable)" if affinity else "")
    return [
        ("CPU", cpu_model()),
        ("Cores", cores),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("numpy", _version("numpy")),
        ("pandas", _version("pandas")),
        ("holidays", _version("holidays")),
        ("slakeeper", _version("slakeeper")),
    ]


def now_text() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


# -- terminal ------------------------------------------------------------------------------------


def print_section(section: Section) -> None:
    try:
        from rich.console import Console
        from rich.table import Table as RichTable
    except ImportError:  # pragma: no cover - rich is a dependency, but stay usable without it
        _print_plain(section)
        return
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.rule(f"[bold]{section.title}[/] ({section.mode})")
    for table in section.tables:
        rich_table = RichTable(title=table.title, title_justify="left")
        for i, column in enumerate(table.columns):
            rich_table.add_column(column, justify="left" if i == 0 else "right")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        for note in table.notes:
            console.print(f"  {note}", style="dim", highlight=False)
    if section.figures:
        fig_table = RichTable(title="Figures", title_justify="left")
        for column in ("figure", "target", "measured", "verdict"):
            fig_table.add_column(column)
        for fig in section.figures:
            style = {"met": "green", "NOT met": "bold red"}.get(fig.verdict, "yellow")
            fig_table.add_row(fig.name, fig.target, fig.measured, f"[{style}]{fig.verdict}[/]")
        console.print(fig_table)
    for note in section.notes:
        console.print(note, highlight=False)


def _print_plain(section: Section) -> None:
    print(f"== {section.title} ({section.mode}) ==")
    for table in section.tables:
        print(table.title)
        print(_plain_table(table.columns, table.rows))
        for note in table.notes:
            print(f"  {note}")
    if section.figures:
        rows = [[f.name, f.target, f.measured, f.verdict] for f in section.figures]
        print("Figures")
        print(_plain_table(["figure", "target", "measured", "verdict"], rows))
    for note in section.notes:
        print(note)
    print()


def _plain_table(columns: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)
    ]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(lines)


# -- Markdown ------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"<!-- section:(\w+) -->\n(.*?)<!-- /section:\1 -->\n", re.DOTALL)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---"] + ["---:"] * (len(columns) - 1)
    lines = ["| " + " | ".join(_md_cell(c) for c in columns) + " |"]
    lines.append("| " + " | ".join(align) + " |")
    lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
    return lines


def section_markdown(section: Section) -> str:
    lines = [f"## {section.title}", "", f"Run: {section.run_at} ({section.mode} mode).", ""]
    for table in section.tables:
        lines.append(f"### {table.title}")
        lines.append("")
        lines.extend(_md_table(table.columns, table.rows))
        lines.append("")
        for note in table.notes:
            lines.append(f"- {note}")
        if table.notes:
            lines.append("")
    if section.figures:
        lines.append("### Figures")
        lines.append("")
        for fig in section.figures:
            mark = {"met": "✅ met", "NOT met": "❌ NOT met"}.get(fig.verdict, "⚪ " + fig.verdict)
            lines.append(f"- **{fig.name}** — target {fig.target}; measured {fig.measured}: {mark}")
        lines.append("")
    for note in section.notes:
        lines.append(note)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_results(path: Path, sections: list[Section], order: list[str], command: str) -> None:
    """Write RESULTS.md; sections not run this time are kept from the previous file if present."""
    previous: dict[str, str] = {}
    if path.exists():
        previous = {
            m.group(1): m.group(2) for m in _SECTION_RE.finditer(path.read_text(encoding="utf-8"))
        }
    fresh = {s.key: section_markdown(s) for s in sections}
    out = [
        "# slakeeper benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`); do not edit by hand.",
        f"Last written: {now_text()} by `{command}`.",
        "",
        "## Machine",
        "",
    ]
    out.extend(f"- {name}: {value}" for name, value in machine_info())
    out.append("")
    for key in order:
        if key in fresh:
            body = fresh[key]
        elif key in previous:
            body = previous[key]
        else:
            continue
        out.append(f"<!-- section:{key} -->")
        out.append(body.rstrip("\n"))
        out.append(f"<!-- /section:{key} -->")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")
