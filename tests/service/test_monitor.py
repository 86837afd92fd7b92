"""The monitoring worker end to end on each database: alerts fire once, on time, re-planned when
the clock changes, caught up late after downtime, and delivered to a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from slakeeper.adapters.db import tables
from slakeeper.adapters.db.store import SqlUnitOfWork
from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.bootstrap import Services
from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.worker import Worker
from slakeeper.service.alert_log import retry_delivery
from slakeeper.service.configuration import ConfigCache, put_config
from slakeeper.service.delivery import RetryPolicy, Sender
from slakeeper.service.ingest import ingest_events
from slakeeper.service.records import AlertFilter, Attempt
from slakeeper.settings import Settings
from tests.factories import Events, config, policy, records, us
from tests.receivers import HttpReceiver


class Clock:
    def __init__(self, at: str) -> None:
        self.us = us(at)

    def __call__(self) -> int:
        return self.us

    def set(self, at: str) -> None:
        self.us = us(at)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


class Desk:
    """A store with a configuration, a worker on a test clock, and a receiver."""

    def __init__(self, engine: Engine, receiver: HttpReceiver, **policy_extra: Any) -> None:
        self.clock = Clock("2024-01-15T09:00:00Z")
        self.svc = Services(Settings(), engine, SqlUnitOfWork(engine), ConfigCache(), self.clock)
        doc = config(policy(targets={"first_response": {"high": "1h", "normal": "2h"}}))
        doc["policies"][0].update(
            {
                "alerts": ["50%"],
                "escalations": [
                    {
                        "at": "30m after",
                        "actions": [
                            {"webhook": {"url": receiver.base + "/escalate"}},
                            {"add_tag": "escalated"},
                        ],
                    }
                ],
                **policy_extra,
            }
        )
        doc["channels"] = {
            "hook": {"type": "webhook", "url": receiver.url, "secret": "${HOOK_SECRET}"},
            "desk": {"type": "webhook", "url": receiver.base + "/desk"},
        }
        doc["notify"] = {"channels": ["hook"]}
        doc["outbound"] = "desk"
        doc["ticket_link"] = "https://desk.example.com/tickets/{ticket}"
        put_config(self.svc.uow, self.svc.config, doc, "test", "test", self.clock())
        self.factory = ChannelFactory(env={"HOOK_SECRET": "s3cret"})
        self.worker = Worker(self.svc, self.factory, threads=2)
        self.events = Events()

    def send(self, *events: dict[str, Any]) -> None:
        ingest_events(self.svc.uow, self.svc.config, records(events), self.clock())

    def run(self, at: str) -> tuple[int, int]:
        self.clock.set(at)
        return self.worker.run_once()

    def alerts(self, **f: Any) -> list[Any]:
        with self.svc.uow.read() as store:
            return sorted(store.alerts(AlertFilter(**f), None, 1000), key=lambda a: a.id)

    def fired(self) -> list[tuple[str, str, str]]:
        return [(a.threshold, format_instant(a.planned_at), str(a.late)) for a in self.alerts()]


@pytest.fixture
def desk(engine: Engine, receiver: HttpReceiver) -> Iterator[Desk]:
    d = Desk(engine, receiver)
    yield d
    d.worker._executor.shutdown()
    d.factory.close()


def open_ticket(desk: Desk, at: str = "2024-01-15T10:00:00Z") -> None:
    desk.clock.set(at)
    desk.send(desk.events.created(at, priority="high"))


def test_each_threshold_fires_once_when_due_and_reaches_the_receiver(
    desk: Desk, receiver: HttpReceiver
) -> None:
    open_ticket(desk)
    assert desk.run("2024-01-15T10:29:59Z") == (0, 0)
    assert desk.run("2024-01-15T10:30:00Z") == (1, 1)  # 50% of the 1h first response
    assert desk.run("2024-01-15T10:30:05Z") == (0, 0)
    assert desk.run("2024-01-15T11:00:00Z") == (1, 1)  # breach: first response due
    desk.run("2024-01-15T11:30:00Z")  # escalation 1: its webhook and the outbound tag
    desk.run("2024-01-15T11:31:00Z")
    assert [a[0] for a in desk.fired()] == ["50%", "breach", "escalation 30m after"]
    assert all(late == "False" for *_, late in desk.fired())
    paths = [r["path"] for r in receiver.requests]
    assert paths == ["/hook", "/hook", "/escalate", "/desk"] or paths == [
        "/hook",
        "/hook",
        "/desk",
        "/escalate",
    ]
    warning = receiver.json(0)
    assert warning["kind"] == "warning"
    assert warning["threshold"] == "50%"
    assert warning["ticket"] == "T-1"
    assert warning["metric"] == "first_response"
    assert warning["time_left_s"] == 1800
    assert warning["elapsed_s"] == 1800
    assert warning["link"] == "https://desk.example.com/tickets/T-1"
    outbound = next(r for r in receiver.requests if r["path"] == "/desk")
    assert json.loads(outbound["body"])["action"] == {"kind": "add_tag", "tag": "escalated"}
    assert sorted(receiver.accepted.values()) == [1, 1, 1, 1]


def test_a_clock_met_before_its_warning_never_warns(desk: Desk, receiver: HttpReceiver) -> None:
    open_ticket(desk)
    desk.clock.set("2024-01-15T10:20:00Z")
    desk.send(desk.events.reply("2024-01-15T10:20:00Z"))
    desk.run("2024-01-15T10:30:00Z")
    desk.run("2024-01-15T12:00:00Z")
    assert [a[0] for a in desk.fired()] == []
    assert receiver.requests == []


def test_a_pause_moves_the_warning_and_the_resume_re_plans_it(desk: Desk) -> None:
    open_ticket(desk)
    desk.clock.set("2024-01-15T10:10:00Z")
    desk.send(desk.events.status("2024-01-15T10:10:00Z", "pending"))
    desk.run("2024-01-15T10:45:00Z")  # paused at 10 minutes: nothing is due
    assert desk.fired() == []
    desk.clock.set("2024-01-15T12:00:00Z")
    desk.send(desk.events.status("2024-01-15T12:00:00Z", "open"))
    desk.run("2024-01-15T12:19:59Z")
    assert desk.fired() == []
    desk.run("2024-01-15T12:20:00Z")  # 10 + 20 minutes of running time
    assert desk.fired() == [("50%", "2024-01-15T12:20:00Z", "False")]


def test_after_downtime_it_catches_up_in_order_and_marks_what_is_late(desk: Desk) -> None:
    open_ticket(desk)
    desk.run("2024-01-15T13:00:00Z")  # the worker was down from 10:00 until 13:00
    assert desk.fired() == [
        ("50%", "2024-01-15T10:30:00Z", "True"),
        ("breach", "2024-01-15T11:00:00Z", "True"),
        ("escalation 30m after", "2024-01-15T11:30:00Z", "True"),
    ]
    assert desk.run("2024-01-15T13:00:01Z") == (0, 0)


def test_failed_deliveries_are_retried_with_backoff_then_dead_and_can_be_retried(
    desk: Desk, receiver: HttpReceiver
) -> None:
    open_ticket(desk)
    receiver.failures = 2
    desk.run("2024-01-15T10:30:00Z")
    assert receiver.accepted == {}
    desk.run("2024-01-15T10:40:00Z")  # backoffs of at most 1 s and 2 s have passed
    desk.run("2024-01-15T10:50:00Z")
    assert list(receiver.accepted.values()) == [1]
    with desk.svc.uow.read() as store:
        (alert,) = store.alerts(AlertFilter(), None, 10)
        (delivery,) = store.deliveries_of([alert.id])
        attempts = store.attempts_of([delivery.id])
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert [(a.number, a.status) for a in attempts] == [(1, 503), (2, 503), (3, 200)]

    receiver.fail_status, receiver.failures = 400, 1  # a refusal retrying will not change
    desk.run("2024-01-15T11:00:00Z")
    dead = desk.alerts(delivery="dead")
    assert [a.threshold for a in dead] == ["breach"]
    with desk.svc.uow.read() as store:
        (delivery,) = store.deliveries_of([dead[0].id])
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("HTTP 400")
    assert retry_delivery(desk.svc.uow, delivery.id, desk.clock()).status == "pending"
    desk.run("2024-01-15T11:00:01Z")
    assert desk.alerts(delivery="dead") == []


def test_exactly_one_alert_per_clock_and_threshold_even_when_re_derived(
    desk: Desk, engine: Engine
) -> None:
    open_ticket(desk)
    desk.run("2024-01-15T10:30:00Z")
    # a priority change re-derives the clock; the warning already fired stays the only one
    desk.clock.set("2024-01-15T10:35:00Z")
    desk.send(desk.events.updated("2024-01-15T10:35:00Z", group="tier2"))
    desk.run("2024-01-15T10:36:00Z")
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(tables.alerts)).scalar() == 1


def test_firings_older_than_the_catch_up_limit_are_recorded_but_not_sent(
    desk: Desk, receiver: HttpReceiver
) -> None:
    open_ticket(desk)
    desk.run("2024-01-17T10:00:00Z")  # two days later
    assert [a[0] for a in desk.fired()] == ["50%", "breach", "escalation 30m after"]
    assert receiver.requests == []
    with desk.svc.uow.read() as store:
        statuses = {d.status for d in store.deliveries_of([a.id for a in desk.alerts()])}
    assert statuses == {"skipped"}


class _Relay:
    """Channels whose one channel runs ``during`` inside its first delivery (a slow send)."""

    def __init__(self, during: Any) -> None:
        self.during = during
        self.calls = 0

    def channel(self, spec: Any) -> Any:
        return self

    def deliver(self, message: Any) -> Attempt:
        self.calls += 1
        if self.calls == 1:
            self.during()
        return Attempt(200)


def test_an_outcome_recorded_after_the_lease_ran_out_is_left_to_the_new_holder(
    desk: Desk,
) -> None:
    open_ticket(desk)
    desk.clock.set("2024-01-15T10:30:00Z")
    desk.worker.fire_due()
    policy = RetryPolicy(lease=2 * 1_000_000)
    second = Sender(desk.svc.uow, desk.svc.config, _Relay(lambda: None), desk.clock, policy)

    def lease_runs_out_and_another_worker_sends() -> None:
        desk.clock.set("2024-01-15T10:30:03Z")
        assert second.round() == 1

    first = Sender(
        desk.svc.uow,
        desk.svc.config,
        _Relay(lease_runs_out_and_another_worker_sends),
        desk.clock,
        policy,
    )
    assert first.round() == 1  # its outcome comes after the lease: dropped, no error
    with desk.svc.uow.read() as store:
        (alert,) = store.alerts(AlertFilter(), None, 10)
        (delivery,) = store.deliveries_of([alert.id])
        attempts = store.attempts_of([delivery.id])
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    assert [(a.number, a.at) for a in attempts] == [(1, us("2024-01-15T10:30:03Z"))]


def test_a_re_target_moves_the_warning_and_it_still_fires_once(desk: Desk) -> None:
    desk.clock.set("2024-01-15T10:00:00Z")
    desk.send(desk.events.created("2024-01-15T10:00:00Z", priority="normal"))  # 2h: 50% at 11:00
    desk.run("2024-01-15T10:20:00Z")
    desk.send(desk.events.updated("2024-01-15T10:20:00Z", priority="high"))  # 1h from 10:00
    desk.run("2024-01-15T10:29:59Z")
    assert desk.fired() == []
    desk.run("2024-01-15T10:30:00Z")
    assert desk.fired() == [("50%", "2024-01-15T10:30:00Z", "False")]
    desk.clock.set("2024-01-15T10:40:00Z")
    desk.send(desk.events.updated("2024-01-15T10:40:00Z", priority="normal"))  # back to 2h
    desk.run("2024-01-15T11:00:00Z")  # the 50% threshold has fired for this clock already
    assert [a[0] for a in desk.fired()] == ["50%"]


def test_a_clock_met_late_while_the_worker_was_down_still_records_its_breach(
    desk: Desk,
) -> None:
    open_ticket(desk)  # first response due 11:00
    desk.clock.set("2024-01-15T11:10:00Z")
    desk.send(desk.events.reply("2024-01-15T11:10:00Z"))  # answered late; no worker ran
    desk.run("2024-01-15T11:15:00Z")
    assert desk.fired() == [("breach", "2024-01-15T11:00:00Z", "True")]  # 15 minutes late
    # the warning and the escalation of a stopped clock never fire
    desk.run("2024-01-15T13:00:00Z")
    assert [a[0] for a in desk.fired()] == ["breach"]


class _Broken:
    def channel(self, spec: Any) -> Any:
        return self

    def deliver(self, message: Any) -> Attempt:
        raise UnicodeEncodeError("latin-1", "ü", 0, 1, "a header the wire cannot carry")


def test_a_channel_that_raises_makes_its_delivery_dead_and_spares_the_rest(desk: Desk) -> None:
    open_ticket(desk)
    desk.clock.set("2024-01-15T10:30:00Z")
    desk.worker.fire_due()
    broken = Sender(desk.svc.uow, desk.svc.config, _Broken(), desk.clock)
    assert broken.round() == 1
    (alert,) = desk.alerts(delivery="dead")
    with desk.svc.uow.read() as store:
        (delivery,) = store.deliveries_of([alert.id])
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("UnicodeEncodeError")


def test_a_webhook_actions_secret_is_a_reference_and_never_shown(desk: Desk) -> None:
    doc = config(policy(targets={"first_response": {"high": "1h"}}))
    doc["policies"][0]["escalations"] = [
        {"at": "due", "actions": [{"webhook": {"url": "https://x.example/h", "secret": "s3cret"}}]}
    ]
    with pytest.raises(ConfigError, match=r"\$\{NAME\}"):
        parse_config(doc)
    open_ticket(desk)
    desk.run("2024-01-15T11:30:00Z")
    escalation = next(a for a in desk.alerts() if a.kind == "escalation")
    assert {"kind": "webhook"} in escalation.payload["actions"]
    assert "s3cret" not in json.dumps(escalation.payload)
