"""Parts of a history read in forked processes: the :class:`~slakeeper.service.history_parts.Runner`
of ``slakeeper whatif`` and ``targets`` for large histories, and of ``staffing``'s team sizes.

Each part runs in its own forked child (the parent's memory, the history's source included, is
shared copy-on-write) and talks to the parent over a pipe: the values the parts gather, then its
result or its traceback.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from slakeeper.service.history_parts import Gather, serial

T = TypeVar("T")


def fork_runner(job: Callable[[int, Gather], T], shards: int) -> list[T]:
    """Run ``job(shard, gather)`` for every shard in its own forked process.

    ``gather(value)`` sends the shard's value and returns every shard's, in shard order, once
    each shard still running has sent one (every shard must gather the same number of times).
    A shard that fails ends the run with its traceback."""
    if shards == 1:
        return serial(job, 1)
    context = multiprocessing.get_context("fork")
    conns: list[Connection] = []
    procs = []
    try:
        for shard in range(shards):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_child, args=(job, shard, theirs), daemon=True)
            proc.start()
            theirs.close()
            conns.append(mine)
            procs.append(proc)
        results: dict[int, T] = {}
        waiting: dict[int, object] = {}
        while len(results) < shards:
            listening = [c for k, c in enumerate(conns) if k not in results and k not in waiting]
            for ready in wait(listening):
                shard = next(k for k, c in enumerate(conns) if c is ready)
                try:
                    kind, value = conns[shard].recv()
                except EOFError:
                    raise RuntimeError(f"part {shard} of the history ended unexpectedly") from None
                if kind == "error":
                    raise RuntimeError(f"part {shard} of the history failed:\n{value}")
                if kind == "done":
                    results[shard] = value
                else:
                    waiting[shard] = value
            running = [k for k in range(shards) if k not in results]
            if waiting and all(k in waiting for k in running):
                values = [waiting.get(k) for k in range(shards)]
                for k in running:
                    conns[k].send(values)
                waiting.clear()
        return [results[k] for k in range(shards)]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for conn in conns:
            conn.close()


def _child(job: Callable[[int, Gather], object], shard: int, conn: Connection) -> None:
    def gather(value: object) -> list[Any]:
        conn.send(("gather", value))
        found: list[Any] = conn.recv()
        return found

    try:
        result = job(shard, gather)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    else:
        conn.send(("done", result))
    conn.close()
