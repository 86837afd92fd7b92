"""POST /v1/whatif and GET /v1/targets over the stored history, on SQLite and PostgreSQL: the
current configuration proposed again gives the reports' numbers, a proposal is judged beside it,
bad input is a 422 naming the problem, a customer sees its own tickets, and every stored ticket
is read — a closed one no policy applied to as well."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from slakeeper.domain.config import parse_config
from slakeeper.service.whatif import whatif
from tests.e2e.conftest import CONFIG, NOW, Api, scenario
from tests.factories import Events, config, policy, records, us

SLAKEEPER = Path(sys.executable).parent / "slakeeper"


def loaded(api: Api) -> list[dict[str, Any]]:
    assert api.put_config(CONFIG).status_code == 200
    events = list(scenario())
    api.clock.set(NOW)
    assert api.post_events(events).status_code == 200
    return events


def post(api: Api, document: Any, *, fmt: str = "yaml", as_: str = "viewer", **params: Any) -> Any:
    if isinstance(document, str):
        body = document.encode()
    elif fmt == "yaml":
        body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    else:
        body = orjson.dumps(document)
    kind = "application/yaml" if fmt == "yaml" else "application/json"
    return api.request(
        "POST", "/v1/whatif", as_=as_, content=body, headers={"Content-Type": kind}, params=params
    )


def pairs(rows: list[dict[str, Any]], a: str, b: str, prefix: str = "") -> dict[Any, Any]:
    return {
        (r[a], r[b]): (r[f"{prefix}met"], r[f"{prefix}breached"])
        for r in rows
        if r[f"{prefix}judged"]
    }


def test_the_current_configuration_again_is_the_report(api: Api) -> None:
    events = loaded(api)
    response = post(api, CONFIG)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["at"] == NOW
    assert body["baseline_version"] == 1
    assert body["tickets"] == 6
    # the stored reports give the same numbers ...
    report = api.get("/v1/reports/compliance", by="metric,priority").json()
    assert pairs(body["by_metric_priority"], "metric", "priority") == {
        (r["metric"], r["priority"]): (r["met"], r["breached"]) for r in report
    }
    by_policy = api.get("/v1/reports/compliance", by="policy,metric").json()
    assert pairs(body["by_policy"], "policy", "metric") == {
        (r["policy"], r["metric"]): (r["met"], r["breached"]) for r in by_policy
    }
    # ... as the events file does, and the baseline is the same configuration: no change
    local = whatif(parse_config(CONFIG), lambda *_: records(events), us(NOW))
    assert pairs(body["by_metric_priority"], "metric", "priority") == {
        c.key: (c.proposed.met, c.proposed.breached)
        for c in local.by_metric_priority
        if c.proposed.judged
    }
    assert all(r["change_pp"] in (0.0, None) for r in body["by_metric_priority"])


def test_a_stricter_proposal_beside_the_current_one(api: Api) -> None:
    loaded(api)
    strict = {**CONFIG, "policies": [dict(p) for p in CONFIG["policies"]]}
    strict["policies"][2] = {
        **strict["policies"][2],
        "targets": {"first_response": {"default": "5m"}},
    }
    response = post(api, strict, fmt="json", **{"from": "2024-01-15T00:00:00Z"})
    assert response.status_code == 200, response.text
    rows = {(r["policy"], r["metric"]): r for r in response.json()["by_policy"]}
    standard = rows[("Standard", "first_response")]
    assert standard["breached"] > standard["baseline_breached"]
    assert standard["change_pp"] < 0
    assert ("Standard", "resolution") not in rows or rows[("Standard", "resolution")]["judged"] == 0


def test_a_closed_ticket_no_policy_applied_to_counts_as_in_slakeeper_whatif(
    api: Api, tmp_path: Path
) -> None:
    current = config(policy("Gold acme", {"first_response": {"default": "30m"}}, customer="acme"))
    assert api.put_config(current).status_code == 200
    e = Events(prefix="c")
    e.created("2024-01-15 10:00", ticket="A-1", priority="high", customer="acme")
    e.reply("2024-01-15 10:20", ticket="A-1")
    e.created("2024-01-15 11:00", ticket="G-1", priority="normal", customer="globex")
    e.reply("2024-01-15 13:00", ticket="G-1")
    e.status("2024-01-15 13:30", "closed", ticket="G-1")
    api.clock.set(NOW)
    assert api.post_events(e).status_code == 200
    assert {c["ticket"] for c in api.all_clocks()} == {"A-1"}  # G-1: closed, and no clock
    everyone = {"first_response": {"default": "1h"}, "resolution": {"default": "4h"}}
    proposal = config(policy("Everyone", everyone))
    response = post(api, proposal)
    assert response.status_code == 200, response.text
    body = response.json()
    # `slakeeper whatif` on the same events, beside the same baseline, as of the same instant
    for name, document in (("proposed", proposal), ("current", current)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    history = tmp_path / "events.jsonl"
    history.write_text("".join(json.dumps(x) + "\n" for x in e), encoding="utf-8")
    done = subprocess.run(
        [str(SLAKEEPER), "whatif", "-c", str(tmp_path / "proposed.yaml"), "-e", str(history),
         "-b", str(tmp_path / "current.yaml"), "--at", NOW, "-f", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {**json.loads(done.stdout), "baseline_version": 1} == body
    assert (body["events"], body["tickets"]) == (5, 2)
    rows = {(r["policy"], r["metric"]): r for r in body["by_policy"]}
    assert (
        rows[("Everyone", "first_response")]["met"],
        rows[("Everyone", "first_response")]["breached"],
    ) == (1, 1)


def test_a_customer_sees_its_own_tickets(api: Api) -> None:
    loaded(api)
    everyone = post(api, CONFIG).json()
    acme = post(api, CONFIG, as_="acme").json()
    assert acme["tickets"] == 3
    report = api.get("/v1/reports/compliance", by="metric,priority", as_="acme").json()
    assert pairs(acme["by_metric_priority"], "metric", "priority") == {
        (r["metric"], r["priority"]): (r["met"], r["breached"]) for r in report
    }
    assert everyone["tickets"] == 6


@pytest.mark.parametrize(
    ("body", "fmt", "params", "where"),
    [
        ("policies: [unclosed", "yaml", {}, "line"),
        ('{"policies": ', "json", {}, "line 1"),
        (
            {"policies": [{"name": "P", "targets": {"first_response": {"default": "4x"}}}]},
            "yaml",
            {},
            "policies[0]",
        ),
        ("", "yaml", {}, ""),
        ("[]", "json", {}, ""),
        ("42", "yaml", {}, ""),
        (CONFIG, "yaml", {"from": "yesterday"}, "from"),
        (CONFIG, "yaml", {"from": "2024-01-16T00:00:00Z", "to": "2024-01-15T00:00:00Z"}, "to"),
    ],
)
def test_bad_input_is_a_422_naming_it(
    api: Api, body: Any, fmt: str, params: dict[str, str], where: str
) -> None:
    loaded(api)
    response = post(api, body, fmt=fmt, **params)
    assert response.status_code == 422, response.text
    issues = response.json()["issues"]
    assert issues
    assert any(where in i["where"] for i in issues), issues


def test_a_body_that_is_not_text(api: Api) -> None:
    response = api.request(
        "POST", "/v1/whatif", content=b"\xff\xfe", headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 422
    assert "UTF-8" in response.json()["issues"][0]["message"]


def test_no_token_no_advice(api: Api) -> None:
    assert post(api, CONFIG, as_=None).status_code == 401
    assert api.get("/v1/targets", as_=None).status_code == 401


def test_targets_from_the_stored_history(api: Api) -> None:
    response = api.get("/v1/targets")
    assert response.status_code == 422  # no configuration yet
    loaded(api)
    backwards = api.get(
        "/v1/targets", **{"from": "2024-01-16T00:00:00Z", "to": "2024-01-15T00:00:00Z"}
    )
    assert backwards.status_code == 422
    response = api.get("/v1/targets", goal=0.5, confidence=0.5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["goal"], body["confidence"], body["tickets"]) == (0.5, 0.5, 6)
    rows = {(r["metric"], r["priority"], r["policy"]): r for r in body["targets"]}
    fr = rows[("first_response", "high", "Gold acme")]  # A-1 replied after 20 minutes
    assert (fr["clocks"], fr["censored"], fr["estimate_s"]) == (1, 0, 1200)
    assert fr["targets"] == "30m"
    assert rows[("first_response", "high", None)]["clocks"] == 2  # and G-2, still waiting
    for bad in ({"goal": 1.5}, {"confidence": 0}, {"from": "soon"}, {"goal": 0.1234567}):
        assert api.get("/v1/targets", **bad).status_code == 422
    acme = api.get("/v1/targets", as_="acme").json()
    assert acme["tickets"] == 3
