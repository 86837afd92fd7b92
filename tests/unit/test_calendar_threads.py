"""A calendar shared by the server's threads answers the same as one asked alone."""

import random
import threading
from datetime import UTC, datetime, timedelta

from slakeeper.calendar import BusinessCalendar

SPEC = {
    "timezone": "Europe/Berlin",
    "hours": {d: ["09:00-12:30", "13:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "DE",
}


def test_threads_extending_the_horizon_get_the_answers_of_a_lone_caller() -> None:
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [
        (
            base + timedelta(days=rng.randrange(-20_000, 20_000)),
            timedelta(hours=rng.randrange(1, 300)),
        )
        for _ in range(400)
    ]
    expected = [BusinessCalendar.from_spec(SPEC).add(start, d) for start, d in cases]
    shared = BusinessCalendar.from_spec(SPEC)
    found: dict[int, datetime] = {}
    errors: list[BaseException] = []

    def ask(offset: int) -> None:
        try:
            for n in range(offset, len(cases), 4):
                start, d = cases[n]
                found[n] = shared.add(start, d)
                assert shared.elapsed(start, found[n]) == d
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [found[n] for n in range(len(cases))] == expected
