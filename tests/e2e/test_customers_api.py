"""Customers from the CRM through the API, on both databases: a tier decides the policy, a change
of tier re-targets the customer's open clocks (and only theirs), a policy file leaves the CRM's
customers alone, a CSV sync with a bad row stores nothing, customer tokens see themselves."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api
from tests.factories import Events, config, policy

GOLD = {"first_response": {"default": "30m"}, "resolution": {"default": "2h"}}
PLAIN = {"first_response": {"default": "4h"}, "resolution": {"default": "24h"}}


def tiered() -> dict[str, Any]:
    return config(
        policy("Gold", GOLD, when={"customer_tier": ["gold"]}, calendar="24x7"),
        policy("Standard", PLAIN, calendar="24x7"),
        calendars=[],
    )


def policies_of(api: Api, ticket: str) -> dict[str, str]:
    return {c["metric"]: c["policy"] for c in api.clocks_of(ticket)}


def two_tickets(api: Api) -> None:
    events = Events()
    events.created("2026-03-02 09:00", ticket="A-1", customer="acme")
    events.created("2026-03-02 09:00", ticket="G-1", customer="globex")
    assert api.post_events(events).status_code == 200


def test_a_tier_change_retargets_the_open_clocks_of_that_customer(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    api.clock.set("2026-03-02T09:10:00Z")
    two_tickets(api)
    assert policies_of(api, "A-1") == {"first_response": "Standard", "resolution": "Standard"}

    put = api.request(
        "PUT", "/v1/customers/acme", json={"name": "ACME", "attributes": {"tier": "gold"}}
    )
    assert put.status_code == 200, put.text
    assert put.json()["changed"] == ["acme"]
    assert put.json()["customers"] == 1
    clocks = {c["metric"]: c for c in api.clocks_of("A-1")}
    assert clocks["first_response"]["policy"] == "Gold"
    assert clocks["first_response"]["due_at"] == "2026-03-02T09:30:00Z"
    assert policies_of(api, "G-1") == {"first_response": "Standard", "resolution": "Standard"}

    # the stored clocks list agrees with the ticket's
    listed = api.all_clocks(customer="acme", metric="first_response")
    assert [c["policy"] for c in listed] == ["Gold"]

    # the same again changes nothing
    again = api.request(
        "PUT", "/v1/customers/acme", json={"name": "ACME", "attributes": {"tier": "gold"}}
    )
    assert again.json()["changed"] == []


def test_an_organisation_tier_reaches_its_customers(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    api.clock.set("2026-03-02T09:10:00Z")
    two_tickets(api)
    org = api.request("PUT", "/v1/organisations/acme-group", json={"attributes": {"tier": "gold"}})
    assert org.status_code == 200, org.text
    assert org.json()["changed"] == []  # no customer belongs to it yet
    joined = api.request("PUT", "/v1/customers/acme", json={"organisation": "acme-group"})
    assert joined.json()["changed"] == ["acme"]
    assert policies_of(api, "A-1")["first_response"] == "Gold"
    got = api.get("/v1/customers/acme").json()
    assert got["attributes"] == {}
    assert got["effective"] == {"tier": "gold"}
    left = api.request(
        "PUT", "/v1/organisations/acme-group", json={"attributes": {"tier": "bronze"}}
    )
    assert left.json()["changed"] == ["acme"]
    assert policies_of(api, "A-1")["first_response"] == "Standard"


def test_a_policy_file_keeps_the_crm_customers(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    api.request("PUT", "/v1/customers/acme", json={"attributes": {"tier": "gold"}})
    assert api.put_config(tiered()).status_code == 200
    stored = api.get("/v1/config").json()["document"]
    assert stored["customers"] == [{"id": "acme", "attributes": {"tier": "gold"}}]
    # giving customers explicitly replaces them
    explicit = {**tiered(), "customers": []}
    assert api.put_config(explicit).status_code == 200
    assert api.get("/v1/customers").json()["customers"] == []


def test_a_csv_sync_merges_by_id_and_a_bad_row_stores_nothing(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    api.clock.set("2026-03-02T09:10:00Z")
    two_tickets(api)
    versions = len(api.get("/v1/config/versions").json())
    bad = "id,name,tier\nacme,ACME,gold\nglobex,Globex,silver\n,Nobody,gold\n"
    refused = api.request(
        "POST", "/v1/customers", content=bad.encode(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert refused.json()["issues"] == [
        {"where": "body:4", "message": "id: '': a text of 1–200 characters, no '/'"}
    ]
    assert len(api.get("/v1/config/versions").json()) == versions
    assert policies_of(api, "A-1")["first_response"] == "Standard"

    good = "id,name,tier,contract_start\nacme,ACME,gold,2026-01-01\nglobex,Globex,silver,\n"
    synced = api.request(
        "POST", "/v1/customers", content=good.encode(), headers={"Content-Type": "text/csv"}
    )
    assert synced.status_code == 200, synced.text
    assert synced.json()["changed"] == ["acme", "globex"]
    assert policies_of(api, "A-1")["first_response"] == "Gold"
    listed = api.get("/v1/customers").json()["customers"]
    assert {c["id"]: c["contract"] for c in listed} == {
        "acme": {"start": "2026-01-01", "end": None},
        "globex": None,
    }


def test_a_json_sync_can_replace_the_whole_directory(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    first = {"customers": [{"id": "acme", "attributes": {"tier": "gold"}}, {"id": "globex"}]}
    assert api.request("POST", "/v1/customers", json=first).status_code == 200
    second = {"customers": [{"id": "initech", "attributes": {"tier": "gold"}}], "replace": True}
    replaced = api.request("POST", "/v1/customers", json=second)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["changed"] == ["acme", "globex", "initech"]
    assert [c["id"] for c in api.get("/v1/customers").json()["customers"]] == ["initech"]


def test_bad_customers_are_refused_and_nothing_changes(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    unknown_org = api.request("PUT", "/v1/customers/acme", json={"organisation": "nope"})
    assert unknown_org.status_code == 422
    assert unknown_org.json()["issues"][0]["where"] == "customers[0].organisation"
    bad_attr = api.request("PUT", "/v1/customers/acme", json={"attributes": {"Tier": "gold"}})
    assert bad_attr.status_code == 422
    bad_date = api.request("PUT", "/v1/customers/acme", json={"contract": {"start": "soon"}})
    assert bad_date.status_code == 422
    not_json = api.request(
        "POST", "/v1/customers", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert api.get("/v1/customers").json()["customers"] == []
    assert api.request("DELETE", "/v1/customers/acme").status_code == 404


def test_before_any_configuration_customers_ask_for_one(api: Api) -> None:
    answer = api.request("PUT", "/v1/customers/acme", json={"attributes": {"tier": "gold"}})
    assert answer.status_code == 422
    assert "PUT /v1/config first" in answer.text


def test_roles(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    sync = {"customers": [{"id": "acme", "attributes": {"tier": "gold"}}, {"id": "globex"}]}
    assert api.request("POST", "/v1/customers", json=sync, as_="agent").status_code == 403
    assert api.request("POST", "/v1/customers", json=sync).status_code == 200
    mine = api.get("/v1/customers", as_="acme").json()
    assert [c["id"] for c in mine["customers"]] == ["acme"]
    assert mine["organisations"] == []
    assert api.get("/v1/customers/globex", as_="acme").status_code == 403
    assert api.get("/v1/customers/acme", as_="acme").status_code == 200
    assert api.get("/v1/customers/acme", as_="viewer").status_code == 200
    assert api.request("DELETE", "/v1/customers/globex", as_="viewer").status_code == 403
    gone = api.request("DELETE", "/v1/customers/globex")
    assert gone.status_code == 200
    assert gone.json()["changed"] == ["globex"]


def test_the_written_policy_file_stays_as_written_when_the_crm_changes(api: Api) -> None:
    text = (
        "# our policies; customers come from the CRM\n"
        "policies:\n"
        "  - name: Gold\n"
        "    when: {customer_tier: [gold]}\n"
        "    targets: {first_response: {default: 30m}}\n"
        "  - name: Standard\n"
        "    targets: {first_response: {default: 4h}}\n"
    )
    assert api.put_config(text).status_code == 200
    api.request("PUT", "/v1/customers/acme", json={"attributes": {"tier": "gold"}})
    current = api.get("/v1/config").json()
    assert current["source"] == text  # saving it again keeps the customers
    assert current["document"]["customers"] == [{"id": "acme", "attributes": {"tier": "gold"}}]
    # a file that lists customers itself is shown as the current document instead
    listed = text + "customers:\n  - {id: globex}\n"
    assert api.put_config(listed).status_code == 200
    api.request("PUT", "/v1/customers/acme", json={"attributes": {"tier": "gold"}})
    shown = api.get("/v1/config").json()["source"]
    assert '"acme"' in shown
    assert '"globex"' in shown


def stored_clocks(api: Api, ticket: str) -> dict[str, tuple[str, int]]:
    """The clock rows the store holds for ``ticket``: metric -> (policy, derived_at)."""
    from sqlalchemy import select

    from slakeeper.adapters.db import tables

    c = tables.clocks.c
    with api.services.engine.connect() as connection:
        rows = connection.execute(
            select(c.metric, c.policy, c.derived_at).where(c.ticket == ticket)
        ).all()
    return {row.metric: (row.policy, row.derived_at) for row in rows}


def test_a_change_reaches_tickets_that_have_moved_away_and_only_the_customer_tickets(
    api: Api,
) -> None:
    """A ticket that moved from acme to globex keeps its first response judged as acme's (the
    clock stopped while it was acme's): a tier change of acme re-derives it, and leaves the
    tickets that never had acme alone."""
    assert api.put_config(tiered()).status_code == 200
    api.clock.set("2026-03-02T09:10:00Z")
    events = Events()
    events.created("2026-03-02 09:00", ticket="A-1", customer="acme")
    events.reply("2026-03-02 09:05", ticket="A-1")
    events.updated("2026-03-02 09:06", ticket="A-1", customer="globex")
    events.created("2026-03-02 09:00", ticket="G-1", customer="globex")
    events.created("2026-03-02 09:00", ticket="N-1")
    assert api.post_events(events).status_code == 200
    untouched = {t: stored_clocks(api, t) for t in ("G-1", "N-1")}
    assert stored_clocks(api, "A-1")["first_response"][0] == "Standard"

    api.clock.set("2026-03-02T09:20:00Z")
    put = api.request("PUT", "/v1/customers/acme", json={"attributes": {"tier": "gold"}})
    assert put.json()["changed"] == ["acme"]
    moved = stored_clocks(api, "A-1")
    assert moved["first_response"][0] == "Gold"  # judged with acme, its customer at the reply
    assert moved["resolution"][0] == "Standard"  # running: judged with globex now
    assert {t: stored_clocks(api, t) for t in ("G-1", "N-1")} == untouched
    listed = api.all_clocks(metric="first_response")
    assert {c["ticket"]: c["policy"] for c in listed} == {
        "A-1": "Gold",
        "G-1": "Standard",
        "N-1": "Standard",
    }


def test_a_csv_replace_sets_the_customers_and_keeps_the_organisations(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    org = api.request("PUT", "/v1/organisations/acme-group", json={"attributes": {"tier": "gold"}})
    assert org.status_code == 200
    api.request("PUT", "/v1/customers/old", json={})
    csv_text = "id,organisation\nacme,acme-group\nglobex,\n"
    replaced = api.request(
        "POST",
        "/v1/customers",
        params={"replace": "true"},
        content=csv_text.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["changed"] == ["acme", "globex", "old"]
    directory = api.get("/v1/customers").json()
    assert [c["id"] for c in directory["customers"]] == ["acme", "globex"]
    assert [o["id"] for o in directory["organisations"]] == ["acme-group"]
    unknown = "id,organisation\ninitech,initech-group\n"
    refused = api.request(
        "POST", "/v1/customers", content=unknown.encode(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert refused.json()["issues"] == [
        {
            "where": "body:2",
            "message": "organisation: 'initech-group' is not an organisation of the directory; "
            "add it first",
        }
    ]


def test_attribute_values_are_texts_or_numbers_never_true(api: Api) -> None:
    assert api.put_config(tiered()).status_code == 200
    refused = api.request("PUT", "/v1/customers/acme", json={"attributes": {"vip": True}})
    assert refused.status_code == 422
    assert api.get("/v1/customers").json()["customers"] == []
    kept = api.request("PUT", "/v1/customers/acme", json={"attributes": {"seats": 40}})
    assert kept.status_code == 200
    assert api.get("/v1/customers/acme").json()["attributes"] == {"seats": "40"}
