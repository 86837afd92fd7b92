"""``python -m bench`` (``make bench``): run the benchmarks, print their tables, write RESULTS.md.

Options: ``--quick`` for smaller case counts; ``--only calendar|evaluate|service|monitor|reports|
availability|statements|import|assist|routing|whatif|prediction`` for one benchmark (repeatable);
``--learning`` for the comparisons of the learning features (``make evaluation``);
``--no-write`` to leave ``bench/RESULTS.md`` alone. A benchmark that is not run keeps its
previous section in RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bench.report import Section, print_section, write_results

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = [
    "calendar",
    "evaluate",
    "service",
    "monitor",
    "reports",
    "availability",
    "statements",
    "import",
    "assist",
    "routing",
    "whatif",
    "prediction",
]
LEARNING = ["prediction", "routing", "whatif", "assist"]  # issue 8's comparisons: make evaluation


def _runner(name: str) -> Callable[[bool], Section]:
    if name == "calendar":
        from bench import bench_calendar

        return bench_calendar.run
    if name == "evaluate":
        from bench import bench_evaluate

        return bench_evaluate.run
    if name == "service":
        from bench import bench_service

        return bench_service.run
    if name == "monitor":
        from bench import bench_monitor

        return bench_monitor.run
    if name == "availability":
        from bench import bench_availability

        return bench_availability.run
    if name == "statements":
        from bench import bench_statements

        return bench_statements.run
    if name == "import":
        from bench import bench_import

        return bench_import.run
    if name == "prediction":
        from bench import bench_prediction

        return bench_prediction.run
    if name == "whatif":
        from bench import bench_whatif

        return bench_whatif.run
    if name == "routing":
        from bench import bench_routing

        return bench_routing.run
    if name == "assist":
        from bench import bench_assist

        return bench_assist.run
    from bench import bench_reports

    return bench_reports.run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller case counts, shorter budgets")
    parser.add_argument(
        "--only", choices=ORDER, action="append", help="run this benchmark (repeatable)"
    )
    parser.add_argument(
        "--learning",
        action="store_true",
        help="run the learning comparisons: " + ", ".join(LEARNING),
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args(argv)

    names = args.only or (LEARNING if args.learning else ORDER)
    sections: list[Section] = []
    for name in names:
        section = _runner(name)(args.quick)
        print_section(section)
        sections.append(section)

    if not args.no_write:
        command = "python -m bench" + "".join(
            f" {a}" for a in (argv if argv is not None else sys.argv[1:])
        )
        write_results(RESULTS, sections, ORDER, command)
        print(
            f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
        )
    missed = [f for s in sections for f in s.figures if f.met is False]
    if missed:
        print(f"{len(missed)} figure(s) not met: " + "; ".join(f.name for f in missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
