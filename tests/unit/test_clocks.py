"""Scenario tests for every clock rule of SPEC §5 and docs/semantics.md §5 (and selection, §3).

Most scenarios run on the built-in ``24x7`` calendar so that the arithmetic is plain wall-clock
time; the business-time rules use the vectors' calendar (UTC, Mon–Fri 10:00–18:00). The reference
day is Monday 2024-01-15. Every scenario goes through ``service.evaluate`` and the SPEC §6 objects.
"""

from __future__ import annotations

from typing import Any

import pytest

from slakeeper.domain.clocks import explain
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import EventError
from slakeeper.domain.events import parse_event
from slakeeper.domain.policy import Verdict
from slakeeper.domain.ticket import Rules, replay
from tests.factories import (
    Events,
    calendar,
    config,
    evaluation,
    keys,
    pick,
    policy,
    run,
    ts,
    us,
)

METRIC_ORDER = ("first_response", "next_response", "periodic_update", "resolution")


def mon(hm: str) -> str:
    return f"2024-01-15 {hm}"


def tue(hm: str) -> str:
    return f"2024-01-16 {hm}"


FLAT_TARGETS = {
    "first_response": {"urgent": "15m", "default": "1h"},
    "next_response": {"default": "30m"},
    "periodic_update": {"default": "2h"},
    "resolution": {"urgent": "1h", "high": "4h", "low": "24h", "default": "8h"},
}


def flat(**kwargs: Any) -> dict[str, Any]:
    """One corporate policy "Std" on the 24x7 calendar with :data:`FLAT_TARGETS`."""
    pause = kwargs.pop("pause_statuses", None)
    return config(
        policy("Std", FLAT_TARGETS, calendar="24x7", pause_statuses=pause),
        **kwargs,
    )


def fields(clock: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(clock[n] for n in names)


def metrics(results: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(r["metric"], r["cycle"]) for r in results]


# -- first_response --------------------------------------------------------------------------------


def test_first_response_is_achieved_by_the_first_agent_reply() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:20"))
    e.reply(mon("10:40"))
    results = run(flat(), e, mon("12:00"))
    fr = pick(results, "first_response")
    assert fr == {
        "ticket": "T-1",
        "metric": "first_response",
        "cycle": 1,
        "policy": "Std",
        "target_seconds": 3600,
        "started_at": ts(mon("10:00")),
        "stopped_at": ts(mon("10:20")),
        "status": "achieved",
        "elapsed_seconds": 1200,
        "due_at": ts(mon("11:00")),
        "breached": False,
    }
    assert [m for m in metrics(results) if m[0] == "first_response"] == [("first_response", 1)]


def test_first_response_runs_until_the_reply_and_breaches_after_due() -> None:
    e = Events()
    e.created(mon("10:00"))
    before = pick(run(flat(), e, mon("10:59")), "first_response")
    after = pick(run(flat(), e, mon("11:01")), "first_response")
    assert fields(before, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "active",
        None,
        3540,
        ts(mon("11:00")),
        False,
    )
    assert fields(after, "status", "elapsed_seconds", "due_at", "breached") == (
        "active",
        3660,
        ts(mon("11:00")),
        True,
    )


def test_first_response_is_cancelled_when_the_ticket_is_done_before_any_reply() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("10:30"), "solved")
    results = run(flat(), e, mon("12:00"))
    fr = pick(results, "first_response")
    assert fields(fr, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "cancelled",
        ts(mon("10:30")),
        1800,
        ts(mon("11:00")),
        False,
    )
    assert pick(results, "resolution")["status"] == "achieved"


@pytest.mark.parametrize("done", ["solved", "closed"])
def test_a_cancelled_clock_reports_whether_it_had_run_out(done: str) -> None:
    """Reading (semantics §5): a cancelled clock keeps its ``breached`` flag by the same rule."""
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("12:00"), done)
    fr = pick(run(flat(), e, mon("13:00")), "first_response")
    assert fields(fr, "status", "due_at", "breached") == ("cancelled", ts(mon("11:00")), True)


def test_first_response_is_never_restarted_by_a_reopen() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("10:30"), "solved")
    e.status(mon("11:00"), "open")
    e.reply(mon("11:30"))
    results = run(flat(), e, mon("12:00"))
    assert [m for m in metrics(results) if m[0] == "first_response"] == [("first_response", 1)]
    assert pick(results, "first_response")["status"] == "cancelled"
    # the reply after the reopen is an agent reply on an open ticket: it starts a periodic update
    assert pick(results, "periodic_update")["started_at"] == ts(mon("11:30"))


def test_a_ticket_created_solved_has_zero_length_clocks() -> None:
    """Reading (semantics §5): first response cancelled and resolution achieved at creation."""
    e = Events()
    e.created(mon("10:00"), status="solved")
    results = run(flat(), e, mon("12:00"))
    fr, res = pick(results, "first_response"), pick(results, "resolution")
    assert fields(fr, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "cancelled",
        ts(mon("10:00")),
        0,
        ts(mon("11:00")),
        False,
    )
    assert fields(res, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "achieved",
        ts(mon("10:00")),
        0,
        ts(mon("18:00")),
        False,
    )


# -- pausing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pause", ["pending", "on_hold"])
def test_default_pause_statuses_stop_the_clock(pause: str) -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.status(mon("11:00"), pause)
    e.status(mon("13:00"), "open")
    res = pick(run(flat(), e, mon("14:00")), "resolution")
    assert fields(res, "status", "elapsed_seconds", "due_at", "breached") == (
        "active",
        2 * 3600,  # 10–11 and 13–14
        ts(mon("20:00")),  # 8h target + 2h paused
        False,
    )


def test_a_clock_paused_before_its_target_has_no_due_time() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("10:30"), "pending")
    results = run(flat(), e, mon("12:00"))
    for metric in ("first_response", "resolution"):
        clock = pick(results, metric)
        assert fields(clock, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
            "paused",
            None,
            1800,
            None,
            False,
        ), metric


def test_a_clock_paused_after_its_target_keeps_due_and_is_breached() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("11:30"), "on_hold")
    fr = pick(run(flat(), e, mon("12:00")), "first_response")
    assert fields(fr, "status", "elapsed_seconds", "due_at", "breached") == (
        "paused",
        5400,
        ts(mon("11:00")),
        True,
    )


def test_a_clock_paused_exactly_at_its_target_has_a_due_time() -> None:
    """SPEC §5 literally: ``due_at`` (11:00) < end (the evaluation instant) is a breach."""
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("11:00"), "pending")
    fr = pick(run(flat(), e, mon("12:00")), "first_response")
    # elapsed reached the target at 11:00, which is before the end (12:00): that is a breach
    assert fields(fr, "status", "elapsed_seconds", "due_at") == ("paused", 3600, ts(mon("11:00")))
    assert fr["breached"] is True
    at_pause = pick(run(flat(), e, mon("11:00")), "first_response")
    assert fields(at_pause, "status", "due_at", "breached") == ("paused", ts(mon("11:00")), False)


@pytest.mark.parametrize(
    ("pause_statuses", "elapsed_hours"),
    [
        (["on_hold"], 4),  # pending 11–13 counts, on_hold 13–14 does not
        (["pending"], 3),  # pending does not count, on_hold does
        ([], 5),  # nothing pauses
        (["pending", "on_hold"], 2),
    ],
)
def test_custom_pause_statuses(pause_statuses: list[str], elapsed_hours: int) -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:05"))
    e.status(mon("11:00"), "pending")
    e.status(mon("13:00"), "on_hold")
    e.status(mon("14:00"), "open")
    res = pick(run(flat(pause_statuses=pause_statuses), e, mon("15:00")), "resolution")
    assert res["elapsed_seconds"] == elapsed_hours * 3600
    assert res["status"] == "active"


def test_status_new_can_be_a_pause_status() -> None:
    e = Events()
    e.created(mon("10:00"))  # status new by default
    e.status(mon("11:00"), "open")
    res = pick(run(flat(pause_statuses=["new"]), e, mon("12:00")), "resolution")
    assert res["elapsed_seconds"] == 3600
    paused = pick(run(flat(pause_statuses=["new"]), e, mon("10:30")), "resolution")
    assert fields(paused, "status", "elapsed_seconds", "due_at") == ("paused", 0, None)


def test_the_pause_statuses_of_the_policy_at_the_end_apply_to_the_whole_history() -> None:
    sla = config(
        policy("VIP", FLAT_TARGETS, when={"tags_any": ["vip"]}, calendar="24x7", pause_statuses=[]),
        policy("Std", FLAT_TARGETS, calendar="24x7"),
    )
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:05"))
    e.status(mon("11:00"), "pending")
    e.status(mon("13:00"), "open")
    before = pick(run(sla, e, mon("13:30")), "resolution")
    assert fields(before, "policy", "elapsed_seconds") == ("Std", 5400)
    e.updated(mon("13:30"), tags=["vip"])
    after = pick(run(sla, e, mon("14:00")), "resolution")
    assert fields(after, "policy", "elapsed_seconds") == ("VIP", 4 * 3600)


def test_pausing_is_measured_in_business_time() -> None:
    """Mon 17:00–17:30 runs, pending until Tue 11:00, then runs: 30m + 1h by Tue 12:00."""
    e = Events()
    e.created(mon("17:00"), priority="high")
    e.reply(mon("17:10"))
    e.status(mon("17:30"), "pending")
    e.status(tue("11:00"), "open")
    res = pick(run(config(), e, tue("12:00")), "resolution")
    assert fields(res, "status", "elapsed_seconds", "due_at", "breached") == (
        "active",
        5400,
        ts(tue("14:30")),  # 3h30m left at Tue 11:00
        False,
    )


def test_a_pause_outside_business_hours_changes_nothing() -> None:
    e = Events()
    e.created(mon("17:00"), priority="high")
    e.reply(mon("17:10"))
    e.status(mon("19:00"), "pending")
    e.status(tue("09:00"), "open")
    res = pick(run(config(), e, tue("11:00")), "resolution")
    assert fields(res, "elapsed_seconds", "due_at") == (7200, ts(tue("13:00")))


def test_status_is_active_when_running_even_while_the_calendar_is_closed() -> None:
    e = Events()
    e.created(mon("17:00"), priority="high")
    res = pick(run(config(), e, mon("22:00")), "resolution")
    assert fields(res, "status", "elapsed_seconds", "due_at") == ("active", 3600, ts(tue("13:00")))


# -- reopen ----------------------------------------------------------------------------------------


def _solved_and_reopened(reopen_to: str = "open") -> Events:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:30"))
    e.status(mon("11:00"), "solved")
    e.status(mon("13:00"), reopen_to)
    return e


def test_reopen_continue_resumes_the_resolution_clock() -> None:
    results = run(flat(), _solved_and_reopened(), mon("14:00"))
    assert [m for m in metrics(results) if m[0] == "resolution"] == [("resolution", 1)]
    res = pick(results, "resolution")
    assert fields(
        res, "status", "started_at", "stopped_at", "elapsed_seconds", "due_at", "breached"
    ) == (
        "active",
        ts(mon("10:00")),
        None,
        2 * 3600,  # 10–11 and 13–14; the two hours while solved do not count
        ts(mon("20:00")),  # as if it had never stopped: 7h left at 13:00
        False,
    )


def test_reopen_continue_is_the_default_and_can_be_written() -> None:
    assert run(flat(), _solved_and_reopened(), mon("14:00")) == run(
        flat(resolution_on_reopen="continue"), _solved_and_reopened(), mon("14:00")
    )


def test_reopen_continue_then_solved_again() -> None:
    e = _solved_and_reopened()
    e.status(mon("15:00"), "solved")
    res = pick(run(flat(), e, mon("16:00")), "resolution")
    assert fields(res, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "achieved",
        ts(mon("15:00")),
        3 * 3600,
        ts(mon("20:00")),
        False,
    )


def test_reopen_continue_can_breach_on_the_resumed_clock() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")  # resolution 1h
    e.status(mon("10:30"), "solved")
    e.status(mon("12:00"), "open")
    res = pick(run(flat(), e, mon("12:45")), "resolution")
    assert fields(res, "elapsed_seconds", "due_at", "breached") == (4500, ts(mon("12:30")), True)


def test_reopen_into_a_pause_status_resumes_paused() -> None:
    results = run(flat(), _solved_and_reopened("pending"), mon("14:00"))
    res = pick(results, "resolution")
    assert fields(res, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "paused",
        None,
        3600,
        None,
        False,
    )


def test_reopen_restart_starts_a_new_cycle_and_the_old_keeps_its_result() -> None:
    results = run(flat(resolution_on_reopen="restart"), _solved_and_reopened(), mon("14:00"))
    assert [m for m in metrics(results) if m[0] == "resolution"] == [
        ("resolution", 1),
        ("resolution", 2),
    ]
    first, second = pick(results, "resolution", 1), pick(results, "resolution", 2)
    assert fields(first, "status", "stopped_at", "elapsed_seconds", "due_at", "breached") == (
        "achieved",
        ts(mon("11:00")),
        3600,
        ts(mon("18:00")),
        False,
    )
    assert fields(
        second, "status", "started_at", "stopped_at", "elapsed_seconds", "due_at", "breached"
    ) == ("active", ts(mon("13:00")), None, 3600, ts(mon("21:00")), False)


def test_reopen_restart_every_reopen_starts_another_cycle() -> None:
    e = _solved_and_reopened()
    e.status(mon("15:00"), "solved")
    e.status(mon("16:00"), "pending")
    results = run(flat(resolution_on_reopen="restart"), e, mon("17:00"))
    res = [r for r in results if r["metric"] == "resolution"]
    assert [(r["cycle"], r["status"], r["stopped_at"]) for r in res] == [
        (1, "achieved", ts(mon("11:00"))),
        (2, "achieved", ts(mon("15:00"))),
        (3, "paused", None),
    ]
    assert res[1]["elapsed_seconds"] == 2 * 3600


def test_reopen_restart_the_old_cycle_keeps_the_policy_it_ended_with() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.reply(mon("10:05"))
    e.status(mon("12:00"), "solved")  # urgent: 1h, late
    e.updated(mon("13:00"), status="open", priority="low")
    results = run(flat(resolution_on_reopen="restart"), e, mon("14:00"))
    first, second = pick(results, "resolution", 1), pick(results, "resolution", 2)
    assert fields(first, "target_seconds", "breached") == (3600, True)
    assert fields(second, "target_seconds", "breached") == (24 * 3600, False)


def test_reopen_continue_a_priority_change_after_the_reopen_retargets_the_whole_clock() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.reply(mon("10:05"))
    e.status(mon("12:00"), "solved")
    e.updated(mon("13:00"), status="open", priority="low")
    res = pick(run(flat(), e, mon("14:00")), "resolution")
    assert fields(res, "target_seconds", "elapsed_seconds", "due_at", "breached") == (
        24 * 3600,
        3 * 3600,
        ts(tue("11:00")),  # 21h left at 13:00
        False,
    )


def test_closing_a_solved_ticket_is_not_a_reopen() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("11:00"), "solved")
    e.status(mon("12:00"), "closed")
    for mode in ("continue", "restart"):
        results = run(flat(resolution_on_reopen=mode), e, mon("13:00"))
        res = [r for r in results if r["metric"] == "resolution"]
        assert len(res) == 1
        assert fields(res[0], "status", "stopped_at", "elapsed_seconds") == (
            "achieved",
            ts(mon("11:00")),
            3600,
        )


# -- priority changes re-target from the start ----------------------------------------------------


def test_priority_urgent_to_low_retargets_from_the_start() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.reply(mon("10:05"))
    before = pick(run(flat(), e, mon("11:30")), "resolution")
    assert fields(before, "target_seconds", "due_at", "breached") == (3600, ts(mon("11:00")), True)
    e.updated(mon("11:30"), priority="low")
    after = pick(run(flat(), e, mon("12:00")), "resolution")
    assert fields(
        after, "target_seconds", "started_at", "elapsed_seconds", "due_at", "breached"
    ) == (
        24 * 3600,
        ts(mon("10:00")),
        2 * 3600,
        ts(tue("10:00")),
        False,
    )


def test_priority_low_to_urgent_retargets_from_the_start() -> None:
    e = Events()
    e.created(mon("10:00"), priority="low")
    e.reply(mon("10:05"))
    before = pick(run(flat(), e, mon("12:00")), "resolution")
    assert fields(before, "target_seconds", "breached") == (24 * 3600, False)
    e.updated(mon("12:00"), priority="urgent")
    after = pick(run(flat(), e, mon("12:30")), "resolution")
    assert fields(after, "target_seconds", "elapsed_seconds", "due_at", "breached") == (
        3600,
        9000,
        ts(mon("11:00")),
        True,
    )


def test_priority_change_after_a_clock_stopped_does_not_retarget_it() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.reply(mon("10:30"))  # first response target 15m: late
    e.updated(mon("11:00"), priority="low")
    results = run(flat(), e, mon("11:30"))
    fr = pick(results, "first_response")
    assert fields(fr, "target_seconds", "due_at", "breached") == (900, ts(mon("10:15")), True)
    assert pick(results, "resolution")["target_seconds"] == 24 * 3600


def test_the_stopping_events_own_changes_choose_the_policy() -> None:
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.reply(mon("10:05"))
    e.updated(mon("12:00"), status="solved", priority="low")
    res = pick(run(flat(), e, mon("13:00")), "resolution")
    assert fields(res, "status", "target_seconds", "breached") == ("achieved", 24 * 3600, False)


# -- policy selection ------------------------------------------------------------------------------


def _levels() -> dict[str, Any]:
    """Policies written least specific first, to show that file order is not what decides."""
    return config(
        policy(
            "Corporate",
            {"first_response": {"default": "4h"}, "resolution": {"default": "24h"}},
            calendar="24x7",
        ),
        policy(
            "Storage",
            {"first_response": {"default": "3h"}, "resolution": {"default": "12h"}},
            level="service",
            service="storage",
            calendar="24x7",
        ),
        policy(
            "Acme",
            {"first_response": {"default": "2h"}},  # no resolution target
            level="customer",
            customer="acme",
            calendar="24x7",
        ),
        policy(
            "Acme storage",
            {"first_response": {"default": "1h"}, "resolution": {"default": "4h"}},
            level="customer",
            customer="acme",
            service="storage",
            calendar="24x7",
        ),
    )


@pytest.mark.parametrize(
    ("customer", "service", "first_response", "resolution"),
    [
        ("acme", "storage", "Acme storage", "Acme storage"),
        ("acme", "network", "Acme", "Corporate"),
        ("acme", None, "Acme", "Corporate"),
        ("globex", "storage", "Storage", "Storage"),
        (None, "storage", "Storage", "Storage"),
        ("globex", "network", "Corporate", "Corporate"),
        (None, None, "Corporate", "Corporate"),
    ],
)
def test_selection_walks_levels_from_the_most_specific(
    customer: str | None, service: str | None, first_response: str, resolution: str
) -> None:
    e = Events()
    attrs = {k: v for k, v in (("customer", customer), ("service", service)) if v is not None}
    e.created(mon("10:00"), **attrs)
    results = run(_levels(), e, mon("11:00"))
    assert pick(results, "first_response")["policy"] == first_response
    assert pick(results, "resolution")["policy"] == resolution


def test_a_customer_policy_without_a_resolution_target_falls_through_to_corporate() -> None:
    e = Events()
    e.created(mon("10:00"), customer="acme")
    results = run(_levels(), e, mon("11:00"))
    fr, res = pick(results, "first_response"), pick(results, "resolution")
    assert fields(fr, "policy", "target_seconds") == ("Acme", 7200)
    assert fields(res, "policy", "target_seconds") == ("Corporate", 24 * 3600)


def test_a_service_policy_narrowed_to_a_customer_ranks_with_customer_and_service() -> None:
    sla = config(
        policy(
            "Acme",
            {"resolution": {"default": "2h"}},
            level="customer",
            customer="acme",
            calendar="24x7",
        ),
        policy(
            "Storage for acme",
            {"resolution": {"default": "1h"}},
            level="service",
            service="storage",
            customer="acme",
            calendar="24x7",
        ),
    )
    e = Events()
    e.created(mon("10:00"), customer="acme", service="storage")
    assert pick(run(sla, e, mon("10:30")), "resolution")["policy"] == "Storage for acme"


def test_file_order_decides_within_one_level() -> None:
    targets = {"resolution": {"default": "8h"}}
    sla = config(
        policy("First", targets, calendar="24x7"),
        policy("Second", targets, calendar="24x7"),
    )
    e = Events()
    e.created(mon("10:00"))
    assert pick(run(sla, e, mon("11:00")), "resolution")["policy"] == "First"
    sla_when = config(
        policy("First", targets, when={"tags_any": ["vip"]}, calendar="24x7"),
        policy("Second", targets, calendar="24x7"),
    )
    assert pick(run(sla_when, e, mon("11:00")), "resolution")["policy"] == "Second"


def test_a_policy_without_a_target_for_the_priority_and_no_default_is_passed_over() -> None:
    sla = config(
        policy("Urgent only", {"resolution": {"urgent": "1h"}}, calendar="24x7"),
        policy("Fallback", {"resolution": {"default": "8h"}}, calendar="24x7"),
    )
    e = Events()
    e.created(mon("10:00"), priority="urgent", ticket="T-1")
    e.created(mon("10:00"), priority="normal", ticket="T-2")
    results = run(sla, e, mon("11:00"))
    assert pick(results, "resolution", ticket="T-1")["policy"] == "Urgent only"
    assert pick(results, "resolution", ticket="T-2")["policy"] == "Fallback"


# -- conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "attrs", "matches"),
    [
        ({"tags_any": ["vip", "gold"]}, {"tags": ["gold"]}, True),
        ({"tags_any": ["vip", "gold"]}, {"tags": ["vip", "gold", "x"]}, True),
        ({"tags_any": ["vip", "gold"]}, {"tags": ["other"]}, False),
        ({"tags_any": ["vip", "gold"]}, {}, False),
        ({"tags_all": ["contract", "eu"]}, {"tags": ["contract", "eu", "x"]}, True),
        ({"tags_all": ["contract", "eu"]}, {"tags": ["contract"]}, False),
        ({"tags_all": ["contract", "eu"]}, {}, False),
        ({"tags_none": ["spam"]}, {}, True),
        ({"tags_none": ["spam"]}, {"tags": ["vip"]}, True),
        ({"tags_none": ["spam"]}, {"tags": ["spam", "vip"]}, False),
        ({"channel": ["email", "chat"]}, {"channel": "chat"}, True),
        ({"channel": ["email", "chat"]}, {"channel": "phone"}, False),
        ({"channel": ["email", "chat"]}, {}, False),
        ({"group": ["tier1"]}, {"group": "tier1"}, True),
        ({"group": ["tier1"]}, {"group": "tier2"}, False),
        ({"group": ["tier1"]}, {}, False),
        ({"priority": ["urgent", "high"]}, {"priority": "high"}, True),
        ({"priority": ["urgent", "high"]}, {}, False),  # normal by default
        ({"tags_any": ["vip"], "channel": ["email"]}, {"tags": ["vip"], "channel": "email"}, True),
        ({"tags_any": ["vip"], "channel": ["email"]}, {"tags": ["vip"], "channel": "chat"}, False),
        ({"tags_any": ["vip"], "tags_none": ["spam"]}, {"tags": ["vip", "spam"]}, False),
    ],
)
def test_when_conditions(when: dict[str, Any], attrs: dict[str, Any], matches: bool) -> None:
    targets = {"resolution": {"default": "8h"}}
    sla = config(
        policy("Cond", targets, when=when, calendar="24x7"),
        policy("Fallback", targets, calendar="24x7"),
    )
    e = Events()
    e.created(mon("10:00"), **attrs)
    expected = "Cond" if matches else "Fallback"
    assert pick(run(sla, e, mon("11:00")), "resolution")["policy"] == expected


def test_conditions_are_read_with_the_attributes_at_the_clocks_end() -> None:
    targets = {"resolution": {"default": "8h"}}
    sla = config(
        policy(
            "VIP email", targets, when={"tags_any": ["vip"], "channel": ["email"]}, calendar="24x7"
        ),
        policy("Fallback", targets, calendar="24x7"),
    )
    e = Events()
    e.created(mon("10:00"), tags=["vip"], channel="email")
    assert pick(run(sla, e, mon("11:00")), "resolution")["policy"] == "VIP email"
    e.updated(mon("11:00"), tags=["other"])  # tags are replaced, not merged
    assert pick(run(sla, e, mon("11:30")), "resolution")["policy"] == "Fallback"
    e.updated(mon("12:00"), tags=["vip"])
    assert pick(run(sla, e, mon("12:30")), "resolution")["policy"] == "VIP email"
    e.updated(mon("13:00"), channel=None)  # null clears it
    assert pick(run(sla, e, mon("13:30")), "resolution")["policy"] == "Fallback"


def test_scope_is_read_with_the_attributes_at_the_clocks_end() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.updated(mon("10:30"), customer="acme", service="storage")
    assert pick(run(_levels(), e, mon("11:00")), "resolution")["policy"] == "Acme storage"


# -- next_response ---------------------------------------------------------------------------------


def test_a_customer_comment_before_any_agent_reply_starts_no_next_response() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.customer(mon("10:10"))
    e.customer(mon("10:20"))
    results = run(flat(), e, mon("11:00"))
    assert not [r for r in results if r["metric"] == "next_response"]


def test_next_response_cycles() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.customer(mon("10:20"))  # starts next_response 1
    e.customer(mon("10:25"))  # one is open: starts nothing
    e.reply(mon("10:40"))  # achieves it
    e.customer(mon("11:00"))  # starts next_response 2
    results = run(flat(), e, mon("12:00"))
    nr = [r for r in results if r["metric"] == "next_response"]
    assert [r["cycle"] for r in nr] == [1, 2]
    assert fields(
        nr[0], "started_at", "stopped_at", "status", "elapsed_seconds", "due_at", "breached"
    ) == (
        ts(mon("10:20")),
        ts(mon("10:40")),
        "achieved",
        1200,
        ts(mon("10:50")),
        False,
    )
    assert fields(nr[1], "started_at", "stopped_at", "status", "due_at", "breached") == (
        ts(mon("11:00")),
        None,
        "active",
        ts(mon("11:30")),
        True,
    )


def test_next_response_is_cancelled_when_the_ticket_is_done_first() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.customer(mon("10:20"))
    e.status(mon("10:30"), "solved")
    nr = pick(run(flat(), e, mon("11:00")), "next_response")
    assert fields(nr, "status", "stopped_at", "elapsed_seconds") == (
        "cancelled",
        ts(mon("10:30")),
        600,
    )


def test_a_customer_comment_on_a_done_ticket_starts_no_next_response() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.status(mon("10:30"), "solved")
    e.customer(mon("10:40"))
    results = run(flat(), e, mon("11:00"))
    assert not [r for r in results if r["metric"] == "next_response"]


def test_an_internal_customer_comment_starts_no_next_response() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.note(mon("10:20"), "customer")
    results = run(flat(), e, mon("11:00"))
    assert not [r for r in results if r["metric"] == "next_response"]


def test_next_response_after_a_reopen_uses_the_earlier_agent_reply() -> None:
    e = _solved_and_reopened()
    e.customer(mon("13:10"))
    nr = pick(run(flat(), e, mon("13:20")), "next_response")
    assert fields(nr, "started_at", "status") == (ts(mon("13:10")), "active")


def test_next_response_pauses_with_the_ticket() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.customer(mon("10:20"))
    e.status(mon("10:30"), "pending")
    nr = pick(run(flat(), e, mon("11:00")), "next_response")
    assert fields(nr, "status", "elapsed_seconds", "due_at") == ("paused", 600, None)


# -- periodic_update -------------------------------------------------------------------------------


def test_each_agent_reply_achieves_the_periodic_update_and_starts_the_next() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:30"))
    e.reply(mon("11:00"))
    e.reply(mon("13:30"))
    e.status(mon("14:00"), "solved")
    pu = [r for r in run(flat(), e, mon("15:00")) if r["metric"] == "periodic_update"]
    assert [
        (
            r["cycle"],
            r["started_at"],
            r["stopped_at"],
            r["status"],
            r["elapsed_seconds"],
            r["breached"],
        )
        for r in pu
    ] == [
        (1, ts(mon("10:30")), ts(mon("11:00")), "achieved", 1800, False),
        (2, ts(mon("11:00")), ts(mon("13:30")), "achieved", 9000, True),  # target 2h
        (3, ts(mon("13:30")), ts(mon("14:00")), "cancelled", 1800, False),
    ]


def test_an_agent_reply_on_a_done_ticket_starts_no_periodic_update() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("10:30"), "solved")
    e.reply(mon("10:40"))
    results = run(flat(), e, mon("11:00"))
    assert not [r for r in results if r["metric"] == "periodic_update"]
    assert pick(results, "first_response")["status"] == "cancelled"


def test_periodic_update_is_active_while_the_ticket_is_open() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:30"))
    pu = pick(run(flat(), e, mon("13:00")), "periodic_update")
    assert fields(pu, "status", "elapsed_seconds", "due_at", "breached") == (
        "active",
        9000,
        ts(mon("12:30")),
        True,
    )


# -- who counts as replying ------------------------------------------------------------------------


def test_a_public_system_comment_is_not_a_reply_by_default() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.comment(mon("10:10"), "system")
    results = run(flat(), e, mon("10:30"))
    assert pick(results, "first_response")["status"] == "active"
    assert not [r for r in results if r["metric"] == "periodic_update"]
    assert run(flat(system_replies_count=False), e, mon("10:30")) == results


def test_a_public_system_comment_is_a_reply_when_configured() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.comment(mon("10:10"), "system")
    results = run(flat(system_replies_count=True), e, mon("10:30"))
    fr = pick(results, "first_response")
    assert fields(fr, "status", "stopped_at") == ("achieved", ts(mon("10:10")))
    assert pick(results, "periodic_update")["started_at"] == ts(mon("10:10"))


def test_a_system_comment_after_a_reply_counts_for_next_response_only_when_configured() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:05"))
    e.customer(mon("10:10"))
    e.comment(mon("10:20"), "system")
    off = pick(run(flat(), e, mon("10:30")), "next_response")
    on = pick(run(flat(system_replies_count=True), e, mon("10:30")), "next_response")
    assert off["status"] == "active"
    assert fields(on, "status", "stopped_at") == ("achieved", ts(mon("10:20")))


@pytest.mark.parametrize("author", ["agent", "system"])
def test_internal_comments_never_count(author: str) -> None:
    e = Events()
    e.created(mon("10:00"))
    e.note(mon("10:10"), author)
    results = run(flat(system_replies_count=True), e, mon("10:30"))
    assert pick(results, "first_response")["status"] == "active"
    assert not [r for r in results if r["metric"] == "periodic_update"]


def test_explicitly_public_comment_counts() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.comment(mon("10:10"), "agent", public=True)
    assert pick(run(flat(), e, mon("10:30")), "first_response")["status"] == "achieved"


def test_csat_changes_no_clock() -> None:
    e = Events()
    e.created(mon("10:00"))
    base = run(flat(), e, mon("11:00"))
    e.csat(mon("10:30"), 5)
    assert run(flat(), e, mon("11:00")) == base


# -- ties and arrival order ------------------------------------------------------------------------


def test_ties_reply_then_solve() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:30"))
    e.status(mon("10:30"), "solved")
    results = run(flat(), e, mon("11:00"))
    assert fields(pick(results, "first_response"), "status", "stopped_at") == (
        "achieved",
        ts(mon("10:30")),
    )
    pu = pick(results, "periodic_update")
    assert fields(pu, "status", "started_at", "stopped_at", "elapsed_seconds") == (
        "cancelled",
        ts(mon("10:30")),
        ts(mon("10:30")),
        0,
    )
    assert pick(results, "resolution")["status"] == "achieved"


def test_ties_solve_then_reply() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("10:30"), "solved")
    e.reply(mon("10:30"))
    results = run(flat(), e, mon("11:00"))
    assert fields(pick(results, "first_response"), "status", "stopped_at") == (
        "cancelled",
        ts(mon("10:30")),
    )
    assert not [r for r in results if r["metric"] == "periodic_update"]


def test_ties_keep_arrival_order_even_when_other_events_are_out_of_order() -> None:
    e = Events()
    created = e.created(mon("10:00"))
    reply = e.reply(mon("10:30"))
    solve = e.status(mon("10:30"), "solved")
    late = e.customer(mon("10:45"))
    shuffled = [late, reply, created, solve]  # reply still before solve
    assert run(flat(), shuffled, mon("11:00")) == run(flat(), e, mon("11:00"))


def test_events_out_of_order_in_the_file_are_applied_by_at() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.customer(mon("10:20"))
    e.status(mon("10:30"), "pending")
    e.status(mon("11:00"), "open")
    e.reply(mon("11:10"))
    e.status(mon("12:00"), "solved")
    in_order = run(flat(), e, mon("13:00"))
    assert run(flat(), list(reversed(e.items)), mon("13:00")) == in_order
    assert run(flat(), e.items[3:] + e.items[:3], mon("13:00")) == in_order


# -- duplicates ------------------------------------------------------------------------------------


def test_a_repeated_id_with_the_same_content_is_ignored() -> None:
    e = Events()
    e.created(mon("10:00"))
    reply = e.reply(mon("10:30"))
    base = evaluation(flat(), e, mon("11:00"))
    again = dict(reply, at="2024-01-15T11:30:00+01:00")  # the same instant, written otherwise
    twice = evaluation(flat(), [*e.items, dict(reply), again], mon("11:00"))
    assert twice.clocks == base.clocks
    assert twice.duplicates == 2
    assert twice.events == base.events == 2


def test_a_repeated_id_with_other_content_is_an_error_naming_both_lines() -> None:
    e = Events()
    e.created(mon("10:00"))
    reply = e.reply(mon("10:30"))
    items = [*e.items, e.customer(mon("10:40")), dict(reply, author="customer")]
    with pytest.raises(EventError) as caught:
        evaluation(flat(), items, mon("11:00"))
    issues = caught.value.issues
    assert len(issues) == 1
    assert issues[0].where == "line 4"
    assert "e2" in issues[0].message
    assert "line 2" in issues[0].message


# -- due times and breaches ------------------------------------------------------------------------


def test_a_reply_exactly_at_due_is_on_time_and_one_microsecond_later_is_late() -> None:
    for reply_at, elapsed, breached in (
        ("2024-01-15T11:00:00Z", 3600, False),
        ("2024-01-15T11:00:00.000001Z", 3600.000001, True),
    ):
        e = Events()
        e.created(mon("10:00"))
        e.reply(reply_at)
        fr = pick(run(flat(), e, mon("12:00")), "first_response")
        assert fields(fr, "status", "elapsed_seconds", "due_at", "breached") == (
            "achieved",
            elapsed,
            ts(mon("11:00")),
            breached,
        ), reply_at


def test_an_evaluation_exactly_at_due_is_not_a_breach() -> None:
    e = Events()
    e.created(mon("10:00"))
    at_due = pick(run(flat(), e, mon("11:00")), "first_response")
    after = pick(run(flat(), e, "2024-01-15T11:00:00.000001Z"), "first_response")
    assert fields(at_due, "status", "breached") == ("active", False)
    assert fields(after, "status", "breached") == ("active", True)


def _nine_to_five() -> dict[str, Any]:
    return config(
        policy("Std", {"first_response": {"default": "1h"}}, calendar="office"),
        calendars=[calendar("office", shift="09:00-17:00")],
    )


def test_a_reply_in_the_night_after_a_1700_due_time_is_late() -> None:
    e = Events()
    e.created(mon("16:00"))
    e.reply(mon("20:00"))
    fr = pick(run(_nine_to_five(), e, tue("09:00")), "first_response")
    assert fields(fr, "elapsed_seconds", "due_at", "breached") == (3600, ts(mon("17:00")), True)


def test_a_reply_at_1700_on_a_1700_due_time_is_on_time() -> None:
    e = Events()
    e.created(mon("16:00"))
    e.reply(mon("17:00"))
    fr = pick(run(_nine_to_five(), e, tue("09:00")), "first_response")
    assert fields(fr, "elapsed_seconds", "due_at", "breached") == (3600, ts(mon("17:00")), False)


def test_due_is_null_only_for_a_paused_clock_below_its_target() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))
    e.customer(mon("10:20"))
    e.status(mon("10:30"), "pending")
    e.status(mon("11:00"), "open")
    e.reply(mon("11:10"))
    e.customer(mon("11:20"))
    e.status(mon("11:30"), "on_hold")
    for at in ("10:05", "10:25", "10:45", "11:15", "11:25", "11:45", "18:00"):
        for clock in run(flat(), e, mon(at)):
            if clock["due_at"] is None:
                assert clock["status"] == "paused", (at, clock)
                assert clock["elapsed_seconds"] < clock["target_seconds"], (at, clock)
                assert clock["breached"] is False
            elif clock["status"] == "paused":
                assert clock["elapsed_seconds"] >= clock["target_seconds"], (at, clock)


def test_fractional_elapsed_seconds_are_exact() -> None:
    e = Events()
    e.created("2024-01-15T10:00:00Z")
    e.reply("2024-01-15T10:00:01.5Z")
    fr = pick(run(flat(), e, mon("11:00")), "first_response")
    assert fr["elapsed_seconds"] == 1.5
    assert fr["stopped_at"] == "2024-01-15T10:00:01.5Z"


# -- reporting -------------------------------------------------------------------------------------


def test_clocks_without_an_applying_policy_are_not_reported_but_keep_their_number() -> None:
    sla = config(
        policy("Urgent resolution", {"resolution": {"urgent": "1h"}}, calendar="24x7"),
        resolution_on_reopen="restart",
    )
    e = Events()
    e.created(mon("10:00"))  # normal: no policy has a resolution target for it
    e.status(mon("11:00"), "solved")
    e.updated(mon("12:00"), status="open", priority="urgent")
    results = run(sla, e, mon("12:30"))
    assert keys(results) == [("T-1", "resolution", 2)]
    assert fields(results[0], "started_at", "status", "elapsed_seconds") == (
        ts(mon("12:00")),
        "active",
        1800,
    )


def test_periodic_update_numbers_have_gaps_when_a_cycle_is_not_tracked() -> None:
    sla = config(
        policy(
            "VIP updates",
            {"periodic_update": {"default": "1h"}},
            when={"tags_any": ["vip"]},
            calendar="24x7",
        ),
    )
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("10:10"))  # starts update 1
    e.reply(mon("10:20"))  # ends update 1 (no vip: untracked), starts update 2
    e.updated(mon("10:30"), tags=["vip"])
    e.reply(mon("10:40"))  # ends update 2 with vip, starts update 3
    e.updated(mon("10:50"), tags=[])  # update 3 goes on without vip: untracked
    assert keys(run(sla, e, mon("11:00"))) == [("T-1", "periodic_update", 2)]


def test_a_ticket_no_policy_applies_to_has_no_clocks() -> None:
    sla = config(
        policy("Acme", {"resolution": {"default": "1h"}}, level="customer", customer="acme")
    )
    e = Events()
    e.created(mon("10:00"), customer="globex")
    ev = evaluation(sla, e, mon("11:00"))
    assert ev.clocks == []
    assert ev.tickets == 1


def test_output_is_ordered_by_ticket_text_then_metric_then_cycle() -> None:
    e = Events()
    for ticket in ("T-2", "T-10", "A-1"):
        e.created(mon("10:00"), ticket=ticket)
    for ticket in ("T-10", "T-2", "A-1"):
        e.reply(mon("10:10"), ticket=ticket)
        e.customer(mon("10:20"), ticket=ticket)
        e.reply(mon("10:30"), ticket=ticket)
    results = run(flat(), e, mon("11:00"))
    got = keys(results)
    assert [k[0] for k in got] == sorted(k[0] for k in got)
    assert list(dict.fromkeys(k[0] for k in got)) == ["A-1", "T-10", "T-2"]
    for ticket in ("A-1", "T-10", "T-2"):
        mine = [(m, c) for t, m, c in got if t == ticket]
        assert mine == [
            ("first_response", 1),
            ("next_response", 1),
            ("periodic_update", 1),
            ("periodic_update", 2),
            ("resolution", 1),
        ]
        assert mine == sorted(mine, key=lambda mc: (METRIC_ORDER.index(mc[0]), mc[1]))


# -- the evaluation instant ------------------------------------------------------------------------


def test_events_after_the_evaluation_instant_are_not_applied() -> None:
    e = Events()
    e.created(mon("10:00"))
    e.reply(mon("11:00"))
    e.status(mon("12:00"), "solved")
    early = pick(run(flat(), e, mon("10:30")), "first_response")
    assert fields(early, "status", "stopped_at", "elapsed_seconds") == ("active", None, 1800)
    at_reply = run(flat(), e, mon("11:00"))  # an event exactly at the instant is applied
    assert pick(at_reply, "first_response")["status"] == "achieved"
    assert pick(at_reply, "resolution")["status"] == "active"


def test_a_ticket_created_after_the_evaluation_instant_is_not_reported() -> None:
    e = Events()
    e.created(mon("10:00"), ticket="T-1")
    e.created(mon("12:00"), ticket="T-2")
    results = run(flat(), e, mon("11:00"))
    assert {r["ticket"] for r in results} == {"T-1"}


def test_a_bad_event_after_the_evaluation_instant_still_fails_the_file() -> None:
    """Reading (semantics §6): the whole file is validated whatever the evaluation instant."""
    e = Events()
    e.created(mon("10:00"))
    e.status(mon("12:00"), "bogus")
    with pytest.raises(EventError) as caught:
        evaluation(flat(), e, mon("11:00"))
    assert caught.value.issues[0].where == "line 2"


# -- explain ---------------------------------------------------------------------------------------


def _state(events: Events, rules: Rules | None = None) -> Any:
    parsed = [parse_event(ev, seq, seq + 1) for seq, ev in enumerate(events)]
    parsed.sort(key=lambda x: (x.at, x.seq))
    return replay(events.ticket, parsed, rules or Rules())


def test_explain_gives_verdicts_segments_marks_and_retargets() -> None:
    sla = parse_config(_levels())
    e = Events()
    e.created(mon("10:00"), customer="acme")
    e.reply(mon("10:10"))
    e.status(mon("11:00"), "pending")
    e.status(mon("13:00"), "open")
    e.updated(mon("13:30"), service="storage")
    explanations = explain(_state(e), sla, us(mon("14:00")))
    by_metric = {(x.clock.metric, x.clock.cycle): x for x in explanations}

    res = by_metric[("resolution", 1)]
    assert res.clock.policy == "Acme storage"
    assert [v.policy for v in res.selection] == ["Acme storage"]
    assert res.selection[0].applies

    fr = by_metric[("first_response", 1)]  # stopped at 10:10 with customer acme, no service
    assert [(v.policy, v.applies) for v in fr.selection] == [
        ("Acme storage", False),
        ("Acme", True),
    ]
    assert "service" in fr.selection[0].reason

    assert res.calendar == "24x7"
    assert res.pause_statuses == ["on_hold", "pending"]
    assert [(m.at, m.what) for m in res.marks] == [(us(mon("10:00")), "started")]
    assert [(s.start, s.end, s.status, s.running, s.business) for s in res.segments] == [
        (us(mon("10:00")), us(mon("11:00")), "new", True, 3600 * 10**6),
        (us(mon("11:00")), us(mon("13:00")), "pending", False, 0),
        (us(mon("13:00")), us(mon("14:00")), "open", True, 3600 * 10**6),
    ]
    assert res.clock.elapsed == sum(s.business for s in res.segments)
    # the service change moved the clock from Corporate (Acme has no resolution) to Acme storage
    assert [(r.at, r.policy, r.target) for r in res.retargets] == [
        (us(mon("13:30")), "Acme storage", 4 * 3600 * 10**6)
    ]
    assert res.retargets[0].event == "e5"


def test_explain_a_fall_through_names_the_missing_target() -> None:
    sla = parse_config(_levels())
    e = Events()
    e.created(mon("10:00"), customer="acme")
    res = next(
        x for x in explain(_state(e), sla, us(mon("11:00"))) if x.clock.metric == "resolution"
    )
    assert [(v.policy, v.applies) for v in res.selection] == [
        ("Acme storage", False),
        ("Acme", False),
        ("Storage", False),
        ("Corporate", True),
    ]
    assert isinstance(res.selection[1], Verdict)
    assert "resolution" in res.selection[1].reason
    assert "target" in res.selection[1].reason


def test_explain_marks_of_a_reopened_clock() -> None:
    sla = parse_config(flat())
    e = _solved_and_reopened()
    e.status(mon("15:00"), "solved")
    res = next(
        x for x in explain(_state(e), sla, us(mon("16:00"))) if x.clock.metric == "resolution"
    )
    assert [(m.at, m.what, m.event) for m in res.marks] == [
        (us(mon("10:00")), "started", "e1"),
        (us(mon("11:00")), "achieved", "e3"),
        (us(mon("13:00")), "resumed", "e4"),
        (us(mon("15:00")), "achieved", "e5"),
    ]
    assert [(s.status, s.running) for s in res.segments] == [
        ("new", True),
        ("solved", False),
        ("open", True),
    ]


def test_explain_lists_priority_retargets() -> None:
    sla = parse_config(flat())
    e = Events()
    e.created(mon("10:00"), priority="urgent")
    e.updated(mon("10:30"), priority="low")
    e.updated(mon("10:40"), group="tier2")  # changes nothing a policy looks at
    e.updated(mon("11:00"), priority="high")
    res = next(
        x for x in explain(_state(e), sla, us(mon("12:00"))) if x.clock.metric == "resolution"
    )
    assert [(r.at, r.event, r.policy, r.target) for r in res.retargets] == [
        (us(mon("10:30")), "e2", "Std", 24 * 3600 * 10**6),
        (us(mon("11:00")), "e4", "Std", 4 * 3600 * 10**6),
    ]
    assert res.clock.target == 4 * 3600 * 10**6


def test_explain_agrees_with_clocks() -> None:
    from slakeeper.domain.clocks import clocks

    sla = parse_config(flat())
    e = _solved_and_reopened()
    e.customer(mon("13:10"))
    state = _state(e)
    now = us(mon("14:00"))
    assert [x.clock for x in explain(state, sla, now)] == clocks(state, sla, now)
