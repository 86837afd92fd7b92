"""What a run did, for the people who run it: tickets, events, waits and each agent's load."""

from __future__ import annotations

from dataclasses import dataclass

from slakeeper.domain.events import format_instant


@dataclass(frozen=True, slots=True)
class AgentSummary:
    name: str
    shift_us: int  # business time of the agent's calendar in the window
    capacity: int
    assigned: int  # tickets assigned to the agent
    utilisation: float  # work done / (shift time × capacity)


@dataclass(frozen=True, slots=True)
class Summary:
    router: str
    seed: int
    start: int
    end: int
    tickets: int  # created in the window
    events: int  # written
    solved: int  # tickets solved at least once
    closed: int
    queued: int  # waiting for an agent at the end of the window
    first_replies: int
    first_reply_wait_us: float | None  # mean wall time from created to the first agent reply
    agents: tuple[AgentSummary, ...]

    def lines(self) -> list[str]:
        """A few lines for people: what was simulated, the waits, and each agent's load."""
        wait = self.first_reply_wait_us
        lines = [
            f"simulated {format_instant(self.start)} to {format_instant(self.end)} "
            f"(seed {self.seed}, router {self.router}): {self.tickets} tickets, "
            f"{self.events} events",
            f"{self.solved} solved, {self.closed} closed, {self.queued} waiting for an agent "
            "at the end",
            "mean first-reply wait: "
            + (f"{_hours(wait)} over {self.first_replies} tickets" if wait is not None else "none"),
            f"{'agent':<16} {'capacity':>8} {'shift h':>8} {'assigned':>8} {'utilisation':>11}",
        ]
        for a in self.agents:
            lines.append(
                f"{a.name:<16} {a.capacity:>8} {a.shift_us / 3.6e9:>8.1f} {a.assigned:>8} "
                f"{a.utilisation:>10.0%}"
            )
        return lines


def _hours(us: float) -> str:
    minutes = round(us / 60e6)
    return f"{minutes // 60}h{minutes % 60:02d}m"
