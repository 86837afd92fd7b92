"""Breach risk, live: a model trained on simulated history is installed over HTTP, the worker scores
the running clocks from the store exactly as the training replay saw them, the at-risk queue shows
each clock's risk and reasons, and a policy's risk warning fires once and is delivered."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest
import yaml

from slakeeper.adapters.notify.factory import ChannelFactory
from slakeeper.client import Client
from slakeeper.domain.events import format_instant, parse_instant
from slakeeper.domain.risk_model import RiskModel
from slakeeper.entrypoints.worker import Worker
from slakeeper.service.monitor import FiringRules
from slakeeper.service.risk_history import replay_history
from slakeeper.service.risk_training import train
from slakeeper.service.risk_watch import ModelCache, _situations, score
from tests.e2e.conftest import Api
from tests.histories import SLA, example_sla, records, simulated
from tests.receivers import HttpReceiver

NOW = "2026-03-04T15:00:00Z"


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return train(example_sla(), records(simulated(10)), holdout=0.3).model


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


def load(api: Api, document: dict[str, Any] | None = None) -> int:
    """The example SLA and two and a half days of the simulated desk, up to ``NOW``."""
    text = SLA.read_text(encoding="utf-8") if document is None else yaml.safe_dump(document)
    assert api.put_config(text).status_code == 200
    now = parse_instant(NOW)
    api.clock.set(NOW)
    known = [e for e in simulated(3) if parse_instant(e["at"]) <= now]
    for lo in range(0, len(known), 2000):
        response = api.post_events(known[lo : lo + 2000])
        assert response.status_code == 200, response.text
    return now


@pytest.fixture
def worker(api: Api) -> Iterator[Worker]:
    factory = ChannelFactory(env={})
    w = Worker(api.services, factory, threads=1)
    yield w
    w._executor.shutdown()
    factory.close()


def at_now(sampled: Any, now: int) -> dict[tuple[str, str, int], Any]:
    found = {}
    for situation, at, index in zip(sampled.situations, sampled.at, sampled.clock, strict=True):
        if at == now:
            c = sampled.clocks[index]
            found[(c.ticket, c.metric, c.cycle)] = situation
    return found


def reassignments(known: list[dict[str, Any]], now: int, to: Any) -> list[dict[str, Any]]:
    """Hand five open tickets that agents answered in the last 50 minutes to the assignee (and
    group) of ``to``, a running clock: those replies stay their old assignees', so ``to``'s
    assignee stays idle."""
    status: dict[str, str] = {}
    replied: list[str] = []
    for e in known:
        status[e["ticket"]] = e.get("status", status.get(e["ticket"], "new"))
        recent = parse_instant(e["at"]) >= now - 50 * 60_000_000
        if e["type"] == "comment.added" and e.get("author") == "agent" and recent:
            replied.append(e["ticket"])
    chosen = [t for t in dict.fromkeys(replied) if status[t] not in ("solved", "closed")][:5]
    assert chosen
    return [
        {
            "id": f"moved-{ticket}",
            "ticket": ticket,
            "type": "ticket.updated",
            "at": format_instant(now - 60_000_000),
            "assignee": to.assignee,
            "group": to.group,
        }
        for ticket in chosen
    ]


def only(instant: int) -> Any:
    """Sampling at ``instant`` only."""
    return lambda t: instant - t if t < instant else 10**15


def test_the_store_sees_each_running_clock_as_the_training_replay_does(api: Api) -> None:
    now = load(api)
    known = [e for e in simulated(3) if parse_instant(e["at"]) <= now]
    before = at_now(replay_history(example_sla(), records(known), only(now), end=now + 1), now)
    idle = max(
        (s for s in before.values() if s.assignee is not None), key=lambda s: s.assignee_idle
    )
    assert idle.assignee_idle > 60 * 60_000_000
    moved = reassignments(known, now, idle)
    assert api.post_events(moved).status_code == 200
    with api.services.uow.read() as store:
        current = api.services.config.current(store)
        assert current is not None
        pairs = store.running_clocks(100_000)
        live, kept = _situations(store, current.config, pairs, now)
    from_store = {
        (row.clock.ticket, row.clock.metric, row.clock.cycle): s
        for (row, _), s in zip(kept, live, strict=True)
    }
    sampled = replay_history(example_sla(), records([*known, *moved]), only(now), end=now + 1)
    replayed = at_now(sampled, now)
    assert len(replayed) > 20
    # replies are credited to the assignee when they were made: the moved tickets' replies do
    # not make the new assignee look busy
    assert any(
        s.assignee == idle.assignee and s.assignee_idle == idle.assignee_idle
        for s in replayed.values()
    )
    assert from_store == replayed


def test_a_model_is_installed_by_an_admin_and_read_back(api: Api, model: RiskModel) -> None:
    assert api.get("/v1/risk-model").status_code == 404
    document = model.to_json()
    assert api.request("PUT", "/v1/risk-model", as_="agent", json=document).status_code == 403
    bad = api.request("PUT", "/v1/risk-model", json={**document, "trees": {"depth": 99}})
    assert bad.status_code == 422
    assert "trees.depth" in bad.text
    assert api.get("/v1/risk-model").status_code == 404, "a refused model stores nothing"
    put = api.request("PUT", "/v1/risk-model", json=document)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1
    shown = api.get("/v1/risk-model").json()
    assert shown["trained"]["auc"] == pytest.approx(model.trained["auc"])
    assert 0 < shown["trained"]["threshold"] < 1


def test_the_at_risk_queue_shows_each_clocks_risk_and_why(
    api: Api, model: RiskModel, worker: Worker
) -> None:
    load(api)
    before = api.get("/v1/at-risk", within="8h").json()["clocks"]
    assert before
    assert all(c["risk"] is None for c in before), "no model: no risk"
    assert api.request("PUT", "/v1/risk-model", json=model.to_json()).status_code == 200
    worker.score_risks(force=True)
    clocks = api.get("/v1/at-risk", within="8h").json()["clocks"]
    assert [c["ticket"] for c in clocks] == [c["ticket"] for c in before]
    scored = [c for c in clocks if c["risk"] is not None]
    assert scored
    for c in scored:
        assert 0.0 <= c["risk"]["probability"] <= 1.0
        assert c["risk"]["scored_at"] == NOW
        assert c["risk"]["model"] == 1
    assert any(c["risk"]["reasons"] for c in scored)
    # a customer sees its clocks' risks, not the reasons: they count the whole desk, name agents
    mine = api.get("/v1/at-risk", as_="acme", within="8h", min_risk=0.0, limit=1000).json()
    theirs = [c for c in mine["clocks"] if c["risk"] is not None]
    assert theirs
    assert all(c["risk"]["reasons"] == [] for c in theirs)
    # min_risk adds running clocks due later whose risk is high
    risky = api.get("/v1/at-risk", within="1m", min_risk=0.0, limit=1000).json()["clocks"]
    assert len(risky) >= len(scored)
    assert api.get("/v1/at-risk", min_risk=2).status_code == 422


def test_a_risk_warning_fires_once_and_is_delivered(
    api: Api, model: RiskModel, worker: Worker, receiver: HttpReceiver
) -> None:
    document: dict[str, Any] = yaml.safe_load(SLA.read_text(encoding="utf-8"))
    for p in document["policies"]:
        p["alerts"] = ["risk 30%"]
        p.pop("escalations", None)
        p.pop("notify", None)
    document.pop("outbound", None)
    document["channels"] = {"hook": {"type": "webhook", "url": receiver.url}}
    document["notify"] = {"channels": ["hook"]}
    load(api, document)
    assert api.request("PUT", "/v1/risk-model", json=model.to_json()).status_code == 200
    fired = worker.score_risks(force=True)
    assert fired > 0
    assert worker.score_risks(force=True) == 0, "one risk warning per clock"
    worker.send_due()
    alerts = api.get("/v1/alerts", limit=1000).json()["alerts"]
    risk = [a for a in alerts if a["threshold"] == "risk 30%"]
    assert len(risk) == fired
    message = risk[0]["message"]
    assert message["kind"] == "warning"
    assert message["risk"] >= 0.3
    assert message["reasons"]
    sent = [orjson.loads(r["body"]) for r in receiver.requests]
    assert len(sent) == fired
    assert {m["threshold"] for m in sent} == {"risk 30%"}


def test_a_policy_without_a_risk_warning_gets_none(
    api: Api, model: RiskModel, worker: Worker
) -> None:
    load(api)
    assert api.request("PUT", "/v1/risk-model", json=model.to_json()).status_code == 200
    assert worker.score_risks(force=True) == 0
    assert format_instant(parse_instant(NOW)) == NOW


def test_the_python_client_reads_the_risks(api: Api, model: RiskModel, worker: Worker) -> None:
    load(api)
    assert api.request("PUT", "/v1/risk-model", json=model.to_json()).status_code == 200
    worker.score_risks(force=True)

    def forward(request: httpx.Request) -> httpx.Response:
        answer = api.client.request(
            request.method, str(request.url), headers=request.headers, content=request.content
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    token = api.tokens["viewer"]
    with Client("http://testserver", token, transport=httpx.MockTransport(forward)) as client:
        found = client.at_risk("8h", limit=1000, min_risk=0.0)
    assert len(found.risks) == len(found.clocks)
    scored = [r for r in found.risks if r is not None]
    assert scored
    assert all(0.0 <= r.probability <= 1.0 and r.model == 1 for r in scored)


def test_one_risk_pass_at_a_time(api: Api, model: RiskModel, db_url: str) -> None:
    """Workers sharing a PostgreSQL database take turns: a pass that finds another one under way
    scores nothing (the other one stores every risk)."""
    now = load(api)
    assert api.request("PUT", "/v1/risk-model", json=model.to_json()).status_code == 200
    svc = api.services
    with svc.uow() as held:
        assert held.try_lock_risk_pass()
        if db_url.startswith("postgresql"):
            with ThreadPoolExecutor(1) as pool:
                other = pool.submit(score, svc.uow, svc.config, ModelCache(), now, FiringRules())
                assert other.result(timeout=30).scored == 0
    assert score(svc.uow, svc.config, ModelCache(), now, FiringRules()).scored > 0


def test_a_stored_model_that_cannot_be_read_scores_nothing_and_breaks_nothing(
    api: Api, worker: Worker
) -> None:
    """A model stored by an earlier format (train again) is skipped, never a 500."""
    load(api)
    with api.services.uow() as store:
        store.add_risk_model('{"format": "slakeeper.risk-model/1"}', "old", parse_instant(NOW))
    assert worker.score_risks(force=True) == 0
    assert api.get("/v1/risk-model").status_code == 404
    assert api.get("/v1/at-risk", within="8h").status_code == 200
