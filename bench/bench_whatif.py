"""What-if: a proposed SLA judged on 100,000 tickets of history beside the current one, end to end.

The history is the example team simulated for 588 days — about 100,700 tickets and 824,000
events (``--quick``: 59 days, about 10,000 tickets) — made once with ``slakeeper simulate`` and
cached in ``bench/data/`` (git-ignored). The proposal halves the first- and next-response targets
of the catch-all policy of ``examples/sla.yaml``; the baseline is ``examples/sla.yaml`` itself.

Timed, each as a child process from start to exit:

- ``slakeeper whatif --config proposed.yaml --events history.jsonl --baseline sla.yaml`` with
  its default parallelism (one process per core, at most four) and with ``--jobs 1``;
- the named peer, what a user does without it: ``slakeeper evaluate`` once per configuration
  (clocks as JSON Lines to a file), then pandas — the clocks read into DataFrames, each ticket's
  priority as of the instant taken from the events (read with orjson, the fast way), the judged
  clocks counted per metric and priority as docs/metrics.md defines them, the two joined.

The peer's counts are checked equal to the what-if's.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bench.bench_evaluate import (
    DATA,
    ROOT,
    NotAvailable,
    count_lines,
    run_child,
    slakeeper_executable,
)
from bench.report import Figure, Section, Table, fmt_ratio, now_text

MODEL = ROOT / "examples" / "simulation.yaml"
SLA = ROOT / "examples" / "sla.yaml"
FULL_DAYS, QUICK_DAYS = 588, 59
TARGET_S = 10.0


def _history(days: int) -> tuple[Path, str]:
    """The cached simulated history (remade when the simulator, the model or the days change)."""
    exe = slakeeper_executable()
    if exe is None:
        raise NotAvailable("the `slakeeper` command is not installed")
    package = ROOT / "src" / "slakeeper" / "simulation"
    digest = hashlib.sha256(MODEL.read_bytes())
    for source in sorted(package.glob("*.py")):
        digest.update(source.read_bytes())
    wanted = json.dumps({"days": days, "sources": digest.hexdigest()})
    path = DATA / f"whatif-history-{days}d.jsonl"
    stamp = path.with_suffix(".args.json")
    if path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return path, "cached"
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".jsonl.partial")
    cmd = [exe, "simulate", "--config", str(MODEL), "--days", str(days), "--out", str(partial)]
    child = run_child(cmd)
    if child.returncode != 0:
        partial.unlink(missing_ok=True)
        raise NotAvailable(f"`slakeeper simulate` failed: {child.stderr.strip()[-200:]}")
    partial.replace(path)
    stamp.write_text(wanted, encoding="utf-8")
    return path, f"generated in {child.wall_s:.1f} s"


def _proposal() -> Path:
    """examples/sla.yaml with the catch-all policy's response targets halved."""
    document = yaml.safe_load(SLA.read_text(encoding="utf-8"))
    for policy in document["policies"]:
        if policy["name"] == "Corporate — standard":
            policy["targets"]["first_response"] = {
                "urgent": "30m",
                "high": "1h",
                "normal": "2h",
                "default": "4h",
            }
            policy["targets"]["next_response"] = {"urgent": "1h", "high": "2h", "default": "4h"}
    path = DATA / "whatif-proposed.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _at(history: Path) -> str:
    """The last event's instant (the simulator writes in order of instant)."""
    with history.open("rb") as stream:
        stream.seek(max(0, history.stat().st_size - 4096))
        last = stream.read().splitlines()[-1]
    at: str = json.loads(last)["at"]
    return at


def _peer_pandas(history: Path, proposed: Path, baseline: Path) -> dict[tuple[str, str], list[int]]:
    """Counts per (metric, priority): [met, breached, baseline met, baseline breached]."""
    import orjson
    import pandas as pd

    tickets, priorities = [], []
    with history.open("rb") as stream:  # events are in order of instant, up to the last one
        for line in stream:
            event = orjson.loads(line)
            if "priority" in event:
                tickets.append(event["ticket"])
                priorities.append(event["priority"])
    priority = pd.DataFrame({"ticket": tickets, "priority": priorities}).groupby("ticket").last()

    def judged(path: Path) -> Any:
        with path.open("rb") as stream:
            clocks = pd.DataFrame.from_records([orjson.loads(line) for line in stream])
        met = (clocks["status"] == "achieved") & ~clocks["breached"]
        clocks = clocks[clocks["breached"] | met].join(priority, on="ticket")
        clocks["outcome"] = clocks["breached"].map({True: "breached", False: "met"})
        return clocks.groupby(["metric", "priority", "outcome"]).size().unstack(fill_value=0)

    both = judged(proposed).join(judged(baseline), rsuffix="_baseline", how="outer").fillna(0)
    return {
        key: [
            int(row["met"]),
            int(row["breached"]),
            int(row["met_baseline"]),
            int(row["breached_baseline"]),
        ]
        for key, row in both.iterrows()
    }


def run(quick: bool = False) -> Section:
    days = QUICK_DAYS if quick else FULL_DAYS
    section = Section(
        key="whatif",
        title="whatif: a proposed SLA judged on history, beside the current one",
        mode="quick" if quick else "full",
        run_at=now_text(),
    )
    figure = f"whatif with a baseline ({'100,000' if not quick else '10,000'} tickets)"
    try:
        history, origin = _history(days)
        proposed = _proposal()
        at = _at(history)
        exe = slakeeper_executable()
        assert exe is not None  # _history needed it
        command = [exe, "whatif", "-c", str(proposed), "-e", str(history)]
        command += ["--baseline", str(SLA), "--at", at, "--format", "json"]
        out = DATA / "whatif-result.json"
        runs = {}
        for label, extra in (
            ("whatif (parallel, default)", []),
            ("whatif --jobs 1", ["--jobs", "1"]),
        ):
            with out.open("wb") as sink:
                started = time.perf_counter()
                done = subprocess.run(
                    [*command, *extra], stdout=sink, stderr=subprocess.PIPE, check=False
                )
                runs[label] = time.perf_counter() - started
            if done.returncode != 0:
                raise NotAvailable(
                    f"`slakeeper whatif` exited with {done.returncode}: {done.stderr.decode()[-300:]}"
                )
        result = json.loads(out.read_text(encoding="utf-8"))
        peer = {}
        for name, config in (("proposed", proposed), ("baseline", SLA)):
            clocks = DATA / f"whatif-clocks-{name}.jsonl"
            with clocks.open("wb") as sink:
                started = time.perf_counter()
                done = subprocess.run(
                    [exe, "evaluate", "-c", str(config), "-e", str(history), "--at", at],
                    stdout=sink,
                    stderr=subprocess.PIPE,
                    check=False,
                )
                peer[f"slakeeper evaluate ({name})"] = time.perf_counter() - started
            if done.returncode != 0:
                raise NotAvailable(f"`slakeeper evaluate` failed: {done.stderr.decode()[-200:]}")
        started = time.perf_counter()
        counts = _peer_pandas(
            history, DATA / "whatif-clocks-proposed.jsonl", DATA / "whatif-clocks-baseline.jsonl"
        )
        peer["pandas: priorities, judged clocks, join"] = time.perf_counter() - started
    except NotAvailable as exc:
        section.notes.append(f"Not available: {exc}.")
        section.figures = [Figure(figure, f"≤ {TARGET_S:.0f} s", "not available", None)]
        return section

    ours = {
        (r["metric"], r["priority"]): [
            r["met"],
            r["breached"],
            r["baseline_met"],
            r["baseline_breached"],
        ]
        for r in result["by_metric_priority"]
    }
    agree = ours == counts
    wall = runs["whatif (parallel, default)"]
    peer_total = sum(peer.values())
    rel = history.relative_to(ROOT)
    rows = [[label, f"{seconds:.2f}", "—"] for label, seconds in runs.items()]
    rows += [[f"peer: {label}", f"{seconds:.2f}", ""] for label, seconds in peer.items()]
    rows.append(["peer: total", f"{peer_total:.2f}", fmt_ratio(peer_total / wall)])
    rows[0][2] = "1×"
    section.tables.append(
        Table(
            title=f"{result['tickets']:,} tickets, {count_lines(history):,} events ({rel}, {origin})",
            columns=["run", "wall s", "peer ÷ whatif"],
            rows=rows,
            notes=[
                f"`slakeeper whatif -c bench/data/whatif-proposed.yaml -e {rel} --baseline "
                f"examples/sla.yaml --at {at} --format json`; the history from `slakeeper simulate "
                f"--config examples/simulation.yaml --days {days}`.",
                "Each run is a child process timed from start to exit. The peer is `slakeeper "
                "evaluate` for each configuration, then pandas in this process.",
                f"The peer's met and breached counts per metric and priority equal the what-if's: "
                f"{'yes' if agree else 'NO'}.",
            ],
        )
    )
    section.figures = [
        Figure(figure, f"≤ {TARGET_S:.0f} s", f"{wall:.2f} s", wall <= TARGET_S and agree)
    ]
    return section
