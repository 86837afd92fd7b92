"""End-to-end benchmark of ``slakeeper evaluate`` on a generated file of one million events.

The file is generated once with the demo generator and cached in ``bench/data/`` (git-ignored)::

    python -m slakeeper.demo --tickets 145000 --seed 7 --start 2026-03-02T00:00:00Z --days 60 \
        --out bench/data/events-1m.jsonl

Then ``slakeeper evaluate --config examples/sla.yaml --events <file> --at 2026-05-01T00:00:00Z``
runs as a child process with its output thrown away. Wall time covers the whole process (start-up,
reading, evaluating, writing); peak memory is the child's maximum resident set size, read with
``os.wait4`` for that child alone. When the generator, the CLI or the example configuration is not
there yet, the benchmark says "not available" instead of failing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Figure, Section, Table, now_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
CONFIG = ROOT / "examples" / "sla.yaml"
AT = "2026-05-01T00:00:00Z"
TARGET_EVENTS_PER_S = 100_000
TARGET_PEAK_BYTES = 1_000_000_000  # 1 GB
TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Dataset:
    name: str
    tickets: int
    seed: int = 7
    start: str = "2026-03-02T00:00:00Z"
    days: int = 60

    @property
    def path(self) -> Path:
        return DATA / f"{self.name}.jsonl"

    @property
    def args(self) -> list[str]:
        return [
            "--tickets",
            str(self.tickets),
            "--seed",
            str(self.seed),
            "--start",
            self.start,
            "--days",
            str(self.days),
        ]


FULL = Dataset("events-1m", tickets=145_000)
QUICK = Dataset("events-quick", tickets=14_500)


class NotAvailable(Exception):
    """A piece the benchmark needs is not there (yet)."""


@dataclass
class ChildRun:
    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    stderr: str


def run_child(cmd: list[str], timeout_s: float = TIMEOUT_S) -> ChildRun:
    """Run ``cmd`` with stdout discarded; wall time, CPU time and peak RSS of that child alone."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        deadline = t0 + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    scale = 1 if sys.platform == "darwin" else 1024
    return ChildRun(
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * scale,
        stderr=stderr,
    )


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            n += block.count(b"\n")
    return n


def ensure_events(dataset: Dataset) -> tuple[Path, int, str]:
    """The cached events file (generated when missing or made with other arguments)."""
    spec = importlib.util.find_spec("slakeeper.demo")
    if spec is None or spec.origin is None:
        raise NotAvailable("the event generator `slakeeper.demo` is not there yet")
    # the file is remade when the arguments or the generator's source change
    source = hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()
    wanted = json.dumps({"args": dataset.args, "generator_sha256": source})
    stamp = dataset.path.with_suffix(".args.json")
    if dataset.path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return dataset.path, count_lines(dataset.path), "cached"
    DATA.mkdir(parents=True, exist_ok=True)
    partial = dataset.path.with_suffix(".jsonl.partial")
    cmd = [sys.executable, "-m", "slakeeper.demo", *dataset.args, "--out", str(partial)]
    child = run_child(cmd)
    if child.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise NotAvailable(
            f"`{' '.join(cmd[1:])}` failed (exit {child.returncode}): {_first_line(child.stderr)}"
        )
    partial.replace(dataset.path)
    stamp.write_text(wanted, encoding="utf-8")
    return dataset.path, count_lines(dataset.path), f"generated in {child.wall_s:.1f} s"


def slakeeper_executable() -> str | None:
    beside = Path(sys.executable).parent / "slakeeper"
    if beside.exists():
        return str(beside)
    return shutil.which("slakeeper")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no message)"


def run(quick: bool = False) -> Section:
    dataset = QUICK if quick else FULL
    section = Section(
        key="evaluate",
        title="evaluate: end to end",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    try:
        exe = slakeeper_executable()
        if exe is None:
            raise NotAvailable("the `slakeeper` command is not installed")
        if not CONFIG.exists():
            raise NotAvailable(f"{CONFIG.relative_to(ROOT)} is not there yet")
        path, events, origin = ensure_events(dataset)
        cmd = [exe, "evaluate", "--config", str(CONFIG), "--events", str(path), "--at", AT]
        child = run_child(cmd)
        if child.returncode != 0:
            raise NotAvailable(
                f"`slakeeper evaluate` exited with {child.returncode}: {_first_line(child.stderr)}"
            )
    except NotAvailable as exc:
        section.notes.append(f"Not available: {exc}.")
        section.figures = [
            Figure(
                "evaluate throughput (1M-event file)",
                f"≥ {TARGET_EVENTS_PER_S:,} events/s",
                "not available",
                None,
            ),
            Figure("evaluate peak memory (1M-event file)", "< 1 GB", "not available", None),
        ]
        return section

    rate = events / child.wall_s
    peak_mb = child.peak_rss_bytes / 1e6
    rel = path.relative_to(ROOT)
    section.tables.append(
        Table(
            title="slakeeper evaluate",
            columns=[
                "events file",
                "events",
                "wall s",
                "CPU s",
                "events/s",
                "events/CPU-s",
                "peak RSS",
            ],
            rows=[
                [
                    str(rel),
                    f"{events:,}",
                    f"{child.wall_s:.2f}",
                    f"{child.cpu_s:.2f}",
                    f"{rate:,.0f}",
                    f"{events / child.cpu_s:,.0f}",
                    f"{peak_mb:,.0f} MB",
                ]
            ],
            notes=[
                f"`slakeeper evaluate --config examples/sla.yaml --events {rel} --at {AT} > /dev/null`; "
                f"events file {origin} (`python -m slakeeper.demo {' '.join(dataset.args)}`).",
                "Wall time is the whole child process, start-up included; events/s is on wall time "
                "(the figure), events/CPU-s on the child's user+system time (less sensitive to a "
                "busy machine); peak RSS is the child's ru_maxrss (os.wait4).",
            ],
        )
    )
    which = "1M-event file" if not quick else f"quick: {events:,} events"
    section.figures = [
        Figure(
            f"evaluate throughput ({which})",
            f"≥ {TARGET_EVENTS_PER_S:,} events/s",
            f"{rate:,.0f} events/s",
            rate >= TARGET_EVENTS_PER_S,
        ),
        Figure(
            f"evaluate peak memory ({which})",
            "< 1 GB",
            f"{peak_mb:,.0f} MB",
            child.peak_rss_bytes < TARGET_PEAK_BYTES,
        ),
    ]
    return section
