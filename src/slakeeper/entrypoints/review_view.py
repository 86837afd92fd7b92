"""The periodic review as JSON, CSV, HTML and PDF (PDF: the HTML printed by headless Chromium)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from slakeeper.domain.events import format_instant
from slakeeper.domain.reports import ComplianceRow
from slakeeper.domain.review import ScopeReview
from slakeeper.entrypoints.report_view import percent

CHROMIUM = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
_env = Environment(
    loader=PackageLoader("slakeeper.entrypoints.web", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def _row(r: ComplianceRow) -> dict[str, Any]:
    return {
        "met": r.met,
        "breached": r.breached,
        "judged": r.judged,
        "compliance_pct": percent(r.compliance) if r.judged else None,
    }


def as_dict(period: str, zone: str, scopes: list[ScopeReview]) -> dict[str, Any]:
    return {
        "period": period,
        "time_zone": zone,
        "scopes": [
            {
                "scope": s.scope,
                **_row(s.total),
                "objective_pct": percent(s.objective),
                "meets_objective": s.meets_objective,
                "by_metric": [{"metric": r.key[0], **_row(r)} for r in s.by_metric],
                "trend": [{"period": label, **_row(r)} for label, r in s.trend],
                "worst_policies": [{"policy": r.key[0], **_row(r)} for r in s.worst_policies],
                "worst_groups": [{"group": r.key[0], **_row(r)} for r in s.worst_groups],
                "breaching_hours": [
                    {"weekday": d, "hour": h, "breaches": n} for d, h, n in s.hours
                ],
                "example_breaches": [
                    {
                        "ticket": e.ticket,
                        "metric": e.metric,
                        "cycle": e.cycle,
                        "policy": e.policy,
                        "due_at": format_instant(e.due_at),
                        "status": e.status,
                        "late_by_s": e.late_by // 1_000_000,
                        "timeline": [
                            {"at": format_instant(at), "what": what} for at, what in e.timeline
                        ],
                    }
                    for e in s.examples
                ],
            }
            for s in scopes
        ],
    }


def as_csv(period: str, scopes: list[ScopeReview]) -> str:
    """One row per scope and metric (and one for all metrics): the figures a spreadsheet needs."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["period", "scope", "metric", "met", "breached", "compliance_pct", "objective_pct"])
    for s in scopes:
        rows = [("all", s.total), *((r.key[0], r) for r in s.by_metric)]
        for metric, r in rows:
            pct = percent(r.compliance) if r.judged else ""
            w.writerow([period, s.scope, metric, r.met, r.breached, pct, percent(s.objective)])
    return out.getvalue()


def as_html(period: str, zone: str, scopes: list[ScopeReview], at: int) -> str:
    return _env.get_template("review.html.j2").render(
        review=as_dict(period, zone, scopes), at=format_instant(at)
    )


def as_pdf(html: str, target: Path) -> None:
    """Print the HTML to ``target`` with headless Chromium; ValueError when none is installed."""
    found = next((p for p in CHROMIUM if shutil.which(p) or Path(p).exists()), None)
    if found is None:
        raise ValueError("PDF needs Chromium (Debian: apt-get install chromium); use --format html")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "review.html"
        page.write_text(html, encoding="utf-8")
        done = subprocess.run(
            [
                found,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={folder}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target.resolve()}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
            env={"HOME": folder, "XDG_CONFIG_HOME": folder, "XDG_CACHE_HOME": folder},
        )
        if done.returncode != 0 or not target.exists():
            raise ValueError(f"Chromium could not print the PDF: {done.stderr.decode()[-300:]}")
