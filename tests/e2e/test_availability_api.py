"""Service availability over HTTP on both databases: incidents, corrections with their log,
measurements, an objective's report equal to the domain's arithmetic, and monthly statements —
provisional, issued at the month's close, frozen, and restated by a late correction."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from slakeeper.adapters.config_file import parse_document
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG
from tests.e2e.conftest import Api

MIN = 60


def example() -> Any:
    return parse_document(EXAMPLE_CONFIG.read_text(), str(EXAMPLE_CONFIG))


def post(api: Api, path: str, body: Any, *, as_: str = "agent", method: str = "POST") -> Any:
    return api.request(method, path, as_=as_, json=body)


def october(api: Api) -> None:
    assert api.put_config(example()).status_code == 200
    api.clock.set("2026-10-20T12:00:00Z")
    for body in (
        {
            "id": "INC-1",
            "service": "storage",
            "start": "2026-10-06T10:00:00Z",
            "end": "2026-10-06T10:30:00Z",
            "title": "blob writes fail",
        },
        {
            "id": "INC-2",
            "service": "storage",
            "impact": "partial",
            "start": "2026-10-14T08:00:00Z",
            "end": "2026-10-14T09:00:00Z",
            "components": ["api"],
        },
    ):
        answer = post(api, "/v1/incidents", body)
        assert answer.status_code == 201, answer.text


# October 2026 in Berlin: 31 days and the hour the clocks go back, less four Sunday windows of an
# hour (excluded from storage-monthly): 44,700 − 240 minutes eligible; 30 minutes major and an
# hour at half weight down.
ELIGIBLE = (31 * 1440 + 60 - 240) * MIN
DOWN = (30 + 30) * MIN


def test_an_objectives_report_is_exact(api: Api) -> None:
    october(api)
    api.clock.set("2026-11-02T00:00:00Z")
    got = api.get("/v1/availability/storage", period="2026-10").json()
    assert got["objective"] == "storage-monthly"
    assert Fraction(got["uptime"]) == Fraction(ELIGIBLE - DOWN, ELIGIBLE)
    assert got["uptime_pct"] == "99.86504"  # floored
    assert got["met"] is False
    assert Fraction(got["budget"]["total"]) == Fraction(ELIGIBLE, 1000) * 1_000_000
    assert Fraction(got["budget"]["consumed"]) == DOWN * 1_000_000
    assert float(got["budget"]["remaining_pct"]) < 0  # overspent, not clamped
    down_days = [d["day"] for d in got["days"] if d["uptime_pct"] != "100"]
    assert down_days == ["2026-10-06", "2026-10-14"]
    assert len(got["days"]) == 31
    assert [s["kind"] for s in got["signals"]] == ["budget_exhausted"]  # 60 of 44.46 minutes


def test_incidents_replay_conflict_and_bad_input(api: Api) -> None:
    october(api)
    same = {
        "id": "INC-1",
        "service": "storage",
        "start": "2026-10-06T10:00:00Z",
        "end": "2026-10-06T10:30:00Z",
        "title": "blob writes fail",
    }
    assert post(api, "/v1/incidents", same).status_code == 200
    other = {**same, "end": "2026-10-06T11:00:00Z"}
    answer = post(api, "/v1/incidents", other)
    assert answer.status_code == 422
    assert "PATCH" in answer.text
    for body, where in (
        ({"id": "X", "service": "nowhere", "start": "2026-10-06T10:00:00Z"}, "nowhere"),
        (
            {"id": "X", "service": "storage", "impact": "fatal", "start": "2026-10-06T10:00:00Z"},
            "fatal",
        ),
        (
            {
                "id": "X",
                "service": "storage",
                "start": "2026-10-06T10:00:00Z",
                "end": "2026-10-06T09:00:00Z",
            },
            "after start",
        ),
        ({"id": "X", "service": "storage", "start": "yesterday"}, "start"),
        (
            {
                "id": "X",
                "service": "storage",
                "start": "2026-10-06T10:00:00Z",
                "components": ["disk"],
            },
            "disk",
        ),
    ):
        answer = post(api, "/v1/incidents", body)
        assert answer.status_code == 422, body
        assert where in answer.text
    assert (
        post(api, "/v1/incidents/INC-1", {"end": None}, method="PATCH").status_code == 422
    )  # no reason
    assert post(api, "/v1/incidents/NOPE", {"reason": "x"}, method="PATCH").status_code == 404
    assert post(api, "/v1/incidents", same, as_="acme").status_code == 403
    assert api.get("/v1/availability/nowhere").status_code == 404
    assert api.get("/v1/availability/storage", objective="nope").status_code == 404
    assert api.get("/v1/availability/storage", period="2026-13").status_code == 422
    assert [i["id"] for i in api.get("/v1/incidents", service="storage").json()] == [
        "INC-1",
        "INC-2",
    ]


def test_statements_are_issued_at_close_frozen_and_restated_by_a_correction(api: Api) -> None:
    october(api)
    running = api.get("/v1/statements/2026-10").json()
    assert [s["status"] for s in running] == ["provisional", "provisional"]
    api.clock.set("2026-11-02T09:00:00Z")
    issued = {s["customer"]: s for s in api.get("/v1/statements/2026-10").json()}
    acme = issued["acme"]
    assert (acme["status"], acme["version"]) == ("issued", 1)
    storage, compute = acme["services"]
    assert storage["uptime_pct"] == "99.86504"
    assert (storage["credit_pct"], storage["credit"]) == ("10", "120.00")  # 10% of 1200 EUR
    assert (compute["uptime_pct"], compute["credit"]) == ("100", "0.00")
    assert acme["total_credit"] == "120.00"
    assert acme["claim_by"] == "2026-12-01T00:00:00Z"  # 30 days after the UTC month's end
    assert issued["globex"]["total_credit"] == "45.00"  # 10% of 450 USD
    # frozen: a second reading gives the same version, even at a later instant
    api.clock.set("2026-11-20T09:00:00Z")
    again = {s["customer"]: s for s in api.get("/v1/statements/2026-10").json()}
    assert again == issued
    # a postmortem finds the outage lasted four hours: the statements are restated
    change = {"end": "2026-10-06T14:00:00Z", "reason": "postmortem: writes failed until 14:00"}
    answer = post(api, "/v1/incidents/INC-1", change, method="PATCH")
    assert answer.status_code == 200, answer.text
    assert answer.json()["change"]["before"] == {"end": "2026-10-06T10:30:00Z"}
    restated = {s["customer"]: s for s in api.get("/v1/statements/2026-10").json()}
    assert (restated["acme"]["status"], restated["acme"]["version"]) == ("restated", 2)
    assert "postmortem" in restated["acme"]["reason"]
    assert restated["acme"]["services"][0]["credit"] == "120.00"  # 99.55%: still 10%
    assert restated["acme"]["services"][0]["uptime_pct"] != storage["uptime_pct"]
    log = api.get("/v1/incidents/INC-1").json()["changes"]
    assert [(c["author"], c["after"]) for c in log] == [("agent", {"end": "2026-10-06T14:00:00Z"})]
    mine = api.get("/v1/statements/2026-10", as_="acme").json()
    assert [s["customer"] for s in mine] == ["acme"]
    assert api.get("/v1/statements/2026-Q4").status_code == 422


def test_measurements_feed_a_timeslice_objective(api: Api) -> None:
    assert api.put_config(example()).status_code == 200
    api.clock.set("2026-10-20T12:00:00Z")
    minute = [f"2026-10-20T10:{m:02d}:00Z" for m in range(60)] + ["2026-10-20T11:00:00Z"]
    rows = [
        {"start": a, "end": b, "good": 0 if i < 3 else 1, "total": 1}
        for i, (a, b) in enumerate(itertools.pairwise(minute))
    ]
    rows[10] = {**rows[10], "good": 0, "total": 0}  # unknown: excluded by storage-probes
    answer = post(api, "/v1/services/storage/measurements", rows)
    assert answer.json() == {"stored": 60}
    got = api.get("/v1/availability/storage", objective="storage-probes").json()
    assert Fraction(got["uptime"]) == Fraction(56, 59)
    assert got["window"]["label"] == "last 30 days"
    bad = [{"start": minute[0], "end": minute[1], "good": 2, "total": 1}]
    answer = post(api, "/v1/services/storage/measurements", bad)
    assert answer.status_code == 422
    assert "total" in answer.text
    assert post(api, "/v1/services/nowhere/measurements", rows).status_code == 404


def test_signals_fire_once_per_episode_through_the_channels(api: Api) -> None:
    """The worker sends a signal when it starts to hold, not again while it holds, and again
    after it stopped and started over; the message says what and is logged like any alert."""
    import orjson

    from slakeeper.adapters.notify.factory import ChannelFactory
    from slakeeper.entrypoints.worker import Worker
    from tests.receivers import HttpReceiver

    receiver = HttpReceiver()
    factory = ChannelFactory(env={})
    doc = example()
    doc["channels"]["hook"] = {"type": "webhook", "url": receiver.url}
    doc["notify"] = {"channels": ["hook"]}
    assert api.put_config(doc).status_code == 200
    worker = Worker(api.services, factory, threads=1)
    try:
        api.clock.set("2026-10-20T12:00:00Z")
        outage = {
            "id": "BIG",
            "service": "storage",
            "start": "2026-10-20T10:00:00Z",
            "end": "2026-10-20T11:30:00Z",
        }
        assert post(api, "/v1/incidents", outage).status_code == 201
        worker.watch_availability(force=True)
        worker.send_due()
        sent = [orjson.loads(r["body"]) for r in receiver.requests]
        signals = {(m["objective"], m["signal"]) for m in sent}
        assert ("storage-monthly", "budget_exhausted") in signals  # 90 of 44.6 minutes
        assert all(m["subject"] == "service" and m["service"] == "storage" for m in sent)
        budget = next(m for m in sent if m["signal"] == "budget_exhausted")
        assert budget["kind"] == "breach"
        assert "spent its error budget for 2026-10" in budget["message"]
        count = len(sent)
        api.clock.set("2026-10-20T12:05:00Z")  # still holding: nothing more
        worker.watch_availability(force=True)
        worker.send_due()
        assert len(receiver.requests) == count
        logged = api.get("/v1/alerts").json()["alerts"]
        assert any(a["ticket"] == "service:storage" for a in logged)
        # a correction halves the outage's weight: the budget holds again, the episode ends
        change = {"impact": "degraded", "reason": "only reads were slow"}
        assert post(api, "/v1/incidents/BIG", change, method="PATCH").status_code == 200
        worker.watch_availability(force=True)
        assert len(receiver.requests) == count
        assert (
            post(
                api,
                "/v1/incidents/BIG",
                {"impact": "major", "reason": "writes failed too"},
                method="PATCH",
            ).status_code
            == 200
        )
        worker.watch_availability(force=True)  # holds again: a new episode, a new alert
        worker.send_due()
        again = [orjson.loads(r["body"]) for r in receiver.requests[count:]]
        assert [m["signal"] for m in again if m["objective"] == "storage-monthly"].count(
            "budget_exhausted"
        ) == 1
    finally:
        worker._executor.shutdown()
        factory.close()
        receiver.close()
