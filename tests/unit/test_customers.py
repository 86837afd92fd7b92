"""Customers from the CRM in policy selection (docs/semantics.md §12): ``when`` on customer
attributes (with the organisation's as fallback), a policy's ``valid_from`` / ``valid_until``
and a customer's contract dates, judged at the instant each clock starts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slakeeper.domain.clocks import explain
from slakeeper.domain.config import parse_config
from slakeeper.domain.customers import Directory, Party, entries_from_csv
from slakeeper.domain.errors import ConfigError
from slakeeper.domain.events import parse_event
from slakeeper.domain.policy import Attributes
from slakeeper.domain.ticket import Rules, replay
from tests.factories import Events, config, pick, policy, run, us

GOLD = {"first_response": {"default": "30m"}, "resolution": {"default": "2h"}}
PLAIN = {"first_response": {"default": "4h"}, "resolution": {"default": "24h"}}


def directory_config(*policies: dict[str, Any], **sections: Any) -> dict[str, Any]:
    doc = config(*policies, calendars=[])
    doc.update(sections)
    return doc


CUSTOMERS = {
    "organisations": [{"id": "acme-group", "attributes": {"tier": "gold", "region": "eu"}}],
    "customers": [
        {"id": "acme", "organisation": "acme-group", "attributes": {"region": "us"}},
        {"id": "globex", "attributes": {"tier": "silver"}},
        {"id": "initech", "attributes": {"tier": 3}},
    ],
}


def tiered(**extra: Any) -> dict[str, Any]:
    return directory_config(
        policy("Gold", GOLD, when={"customer_tier": ["gold"]}, calendar="24x7", **extra),
        policy("Standard", PLAIN, calendar="24x7"),
        **CUSTOMERS,
    )


def first_response_policy(doc: dict[str, Any], customer: str | None, at: str) -> str:
    events = Events()
    events.created(at, customer=customer, priority="normal")
    return pick(run(doc, events, at), "first_response")["policy"]


def test_a_customer_attribute_selects_the_policy() -> None:
    doc = tiered()
    assert first_response_policy(doc, "acme", "2026-03-02 09:00") == "Gold"  # from its organisation
    assert first_response_policy(doc, "globex", "2026-03-02 09:00") == "Standard"
    assert first_response_policy(doc, "unknown", "2026-03-02 09:00") == "Standard"
    assert first_response_policy(doc, None, "2026-03-02 09:00") == "Standard"


def test_the_customer_own_attribute_wins_over_its_organisation() -> None:
    sla = parse_config(
        directory_config(
            policy("EU", GOLD, when={"customer_region": ["eu"]}, calendar="24x7"),
            policy("Standard", PLAIN, calendar="24x7"),
            **CUSTOMERS,
        )
    )
    directory = sla.book.directory
    assert directory.attribute("acme", "region") == "us"
    assert directory.attribute("acme", "tier") == "gold"
    assert directory.attribute("acme", "organisation") == "acme-group"
    assert directory.attribute("initech", "tier") == "3"  # numbers are texts
    chosen = sla.book.select("first_response", Attributes(customer="acme"))
    assert chosen is not None
    assert chosen.policy.name == "Standard"


def test_a_condition_on_the_organisation_and_a_numeric_value() -> None:
    doc = directory_config(
        policy("Group", GOLD, when={"customer_organisation": ["acme-group"]}, calendar="24x7"),
        policy("Three", GOLD, when={"customer_tier": [3]}, calendar="24x7"),
        policy("Standard", PLAIN, calendar="24x7"),
        **CUSTOMERS,
    )
    assert first_response_policy(doc, "acme", "2026-03-02 09:00") == "Group"
    assert first_response_policy(doc, "initech", "2026-03-02 09:00") == "Three"


def test_explain_names_the_customer_attribute_that_did_not_match() -> None:
    sla = parse_config(tiered())
    events = Events()
    events.created("2026-03-02 09:00", customer="globex")
    parsed = [parse_event(e, seq, seq + 1) for seq, e in enumerate(events)]
    state = replay(events.ticket, parsed, Rules())
    verdicts = explain(state, sla, us("2026-03-02 09:30"))[0].selection
    assert verdicts[0].policy == "Gold"
    assert not verdicts[0].applies
    assert verdicts[0].reason == "customer 'globex' tier is 'silver', not one of ['gold']"
    assert verdicts[1].applies


def test_validity_dates_are_judged_where_each_clock_starts() -> None:
    doc = directory_config(
        {
            **policy("2026 contract", GOLD, calendar="24x7"),
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        },
        policy("Standard", PLAIN, calendar="24x7"),
    )
    assert first_response_policy(doc, None, "2025-12-31 23:59:59") == "Standard"
    assert first_response_policy(doc, None, "2026-01-01 00:00") == "2026 contract"
    assert first_response_policy(doc, None, "2026-12-31 23:59:59") == "2026 contract"
    assert first_response_policy(doc, None, "2027-01-01 00:00") == "Standard"
    # a clock started within the validity keeps its policy after the end
    events = Events()
    events.created("2026-12-31 23:00")
    clock = pick(run(doc, events, "2027-01-02 12:00"), "resolution")
    assert clock["policy"] == "2026 contract"
    assert clock["target_seconds"] == 7200


def test_dates_are_local_days_on_the_policy_calendar() -> None:
    berlin = {"name": "berlin", "timezone": "Europe/Berlin", "hours": "24x7"}
    doc = config(
        {**policy("Berlin 2026", GOLD, calendar="berlin"), "valid_from": "2026-01-01"},
        policy("Standard", PLAIN, calendar="24x7"),
        calendars=[berlin],
    )
    assert first_response_policy(doc, None, "2025-12-31 22:59:59") == "Standard"
    assert first_response_policy(doc, None, "2025-12-31 23:00") == "Berlin 2026"


def test_instants_are_exact_and_the_end_is_exclusive() -> None:
    doc = directory_config(
        {
            **policy("Window", GOLD, calendar="24x7"),
            "valid_from": "2026-03-02T09:00:00+01:00",
            "valid_until": "2026-03-02T10:00:00Z",
        },
        policy("Standard", PLAIN, calendar="24x7"),
    )
    assert first_response_policy(doc, None, "2026-03-02 07:59:59") == "Standard"
    assert first_response_policy(doc, None, "2026-03-02 08:00") == "Window"
    assert first_response_policy(doc, None, "2026-03-02 09:59:59") == "Window"
    assert first_response_policy(doc, None, "2026-03-02 10:00") == "Standard"


def test_a_customer_policy_applies_within_the_customer_contract() -> None:
    doc = directory_config(
        policy("ACME", GOLD, customer="acme", calendar="24x7"),
        policy("Standard", PLAIN, calendar="24x7"),
        customers=[{"id": "acme", "contract": {"start": "2026-02-01", "end": "2026-02-28"}}],
    )
    assert first_response_policy(doc, "acme", "2026-01-31 23:59") == "Standard"
    assert first_response_policy(doc, "acme", "2026-02-01 00:00") == "ACME"
    assert first_response_policy(doc, "acme", "2026-02-28 23:59") == "ACME"
    assert first_response_policy(doc, "acme", "2026-03-01 00:00") == "Standard"
    acme = parse_config(doc).book.named("ACME")
    assert acme is not None
    assert "acme's contract from 2026-02-01 until 2026-02-28" in acme.validity


def test_the_policy_validity_and_the_contract_intersect() -> None:
    doc = directory_config(
        {**policy("ACME", GOLD, customer="acme", calendar="24x7"), "valid_until": "2026-02-14"},
        policy("Standard", PLAIN, calendar="24x7"),
        organisations=[{"id": "group", "contract": {"start": "2026-02-01"}}],
        customers=[{"id": "acme", "organisation": "group"}],
    )
    assert first_response_policy(doc, "acme", "2026-01-31 12:00") == "Standard"
    assert first_response_policy(doc, "acme", "2026-02-14 12:00") == "ACME"
    assert first_response_policy(doc, "acme", "2026-02-15 00:00") == "Standard"


@settings(max_examples=200, deadline=None)
@given(
    bounds=st.lists(st.integers(0, 40), min_size=4, max_size=4),
    start=st.integers(-2, 42),
)
def test_selection_is_the_first_policy_valid_at_the_clock_start(
    bounds: list[int], start: int
) -> None:
    """Two dated policies and a fallback: the policy chosen is the first one whose [from, until]
    days contain the day the clock started — the cache across boundaries never mixes them up."""
    day = lambda n: date.fromordinal(date(2026, 1, 1).toordinal() + n)  # noqa: E731
    a_from, a_to = sorted(bounds[:2])
    b_from, b_to = sorted(bounds[2:])
    doc = directory_config(
        {
            **policy("A", GOLD, calendar="24x7"),
            "valid_from": str(day(a_from)),
            "valid_until": str(day(a_to)),
        },
        {
            **policy("B", GOLD, calendar="24x7"),
            "valid_from": str(day(b_from)),
            "valid_until": str(day(b_to)),
        },
        policy("Standard", PLAIN, calendar="24x7"),
    )
    sla = parse_config(doc)
    at = us(f"{day(start)} 12:00")
    expected = "A" if a_from <= start <= a_to else "B" if b_from <= start <= b_to else "Standard"
    for _ in range(2):  # the second answer comes from the cache
        chosen = sla.book.select("first_response", Attributes(), at)
        assert chosen is not None
        assert chosen.policy.name == expected


@pytest.mark.parametrize(
    ("sections", "where", "message"),
    [
        (
            {"customers": [{"id": "a", "organisation": "nope"}]},
            "customers[0].organisation",
            "unknown organisation 'nope'",
        ),
        ({"customers": [{"id": "a"}, {"id": "a"}]}, "customers[1].id", "listed twice"),
        (
            {"customers": [{"id": "a", "attributes": {"Tier": "x"}}]},
            "customers[0].attributes.Tier",
            "lower-case",
        ),
        (
            {"customers": [{"id": "a", "attributes": {"tier": ["x"]}}]},
            "customers[0].attributes.tier",
            "a text or a number",
        ),
        (
            {"customers": [{"id": "a", "contract": {"start": "2026-13-01"}}]},
            "customers[0].contract.start",
            "not a date",
        ),
        (
            {"customers": [{"id": "a", "contract": {"start": "2026-02-01", "end": "2026-01-01"}}]},
            "customers[0].contract.end",
            "before the start",
        ),
        ({"customers": [{"id": "a/b"}]}, "customers[0].id", "no '/'"),
        ({"customers": {"a": {}}}, "customers", "a list"),
        (
            {"organisations": [{"id": "o", "organisation": "p"}]},
            "organisations[0].organisation",
            "unknown field",
        ),
    ],
)
def test_bad_customers_are_refused_with_their_path(
    sections: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(directory_config(policy("Standard", PLAIN, calendar="24x7"), **sections))
    found = {i.where: i.message for i in caught.value.issues}
    assert where in found, found
    assert message in found[where]


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        ({"valid_from": "yesterday"}, "policies[0].valid_from", "write a date"),
        (
            {"valid_from": "2026-02-01", "valid_until": "2026-01-01"},
            "policies[0].valid_until",
            "ends before",
        ),
        ({"when": {"customer_Tier": ["gold"]}}, "policies[0].when.customer_Tier", "lower-case"),
        ({"when": {"customer_tier": []}}, "policies[0].when.customer_tier", "non-empty list"),
        ({"when": {"tier": ["gold"]}}, "policies[0].when.tier", "customer_<attribute>"),
    ],
)
def test_bad_validity_and_conditions_are_refused(
    extra: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(directory_config({**policy("P", PLAIN, calendar="24x7"), **extra}))
    found = {i.where: i.message for i in caught.value.issues}
    assert where in found, found
    assert message in found[where]


def test_csv_rows_become_entries_and_bad_rows_name_their_line() -> None:
    text = (
        "id,name,organisation,Tier,Region,contract_start,contract_end\n"
        "acme,ACME,acme-group,gold,eu,2026-01-01,2026-12-31\n"
        "globex,Globex,,silver,,,\n"
        ",Nobody,,gold,,,\n"
        "initech,Initech,,bronze,,2026-02-30,\n"
    )
    entries, lines, issues = entries_from_csv(text, "crm.csv")
    assert lines == ["crm.csv:2", "crm.csv:3"]
    assert entries == [
        {
            "id": "acme",
            "name": "ACME",
            "organisation": "acme-group",
            "contract": {"start": "2026-01-01", "end": "2026-12-31"},
            "attributes": {"tier": "gold", "region": "eu"},
        },
        {"id": "globex", "name": "Globex", "attributes": {"tier": "silver"}},
    ]
    assert [i.where for i in issues] == ["crm.csv:4", "crm.csv:5"]
    assert issues[0].message.startswith("id:")
    assert issues[1].message.startswith("contract_start:")


def test_csv_needs_an_id_column() -> None:
    entries, _, issues = entries_from_csv("name,tier\nACME,gold\n", "crm.csv")
    assert entries == []
    assert str(issues[0]) == "crm.csv:1: the header needs an id column"


def test_a_directory_without_the_customer_has_no_attributes() -> None:
    directory = Directory({"a": Party("a", attributes={"tier": "gold"})}, {})
    assert directory.attribute("b", "tier") is None
    assert directory.contract("b") == (None, None)


def test_validity_written_as_yaml_reads_it() -> None:
    """An unquoted instant is a datetime to YAML, a date a date; both are read, and so are the
    RFC 3339 spellings with a space or lower-case letters. A naive instant is refused."""
    import yaml

    text = (
        "policies:\n"
        "  - name: P\n"
        "    targets: {first_response: {default: 1h}}\n"
        "    valid_from: {start}\n"
        "    valid_until: 2026-12-31\n"
    )
    for start in ("2026-01-01T09:00:00Z", "'2026-01-01 09:00:00Z'", "'2026-01-01t09:00:00z'"):
        sla = parse_config(yaml.safe_load(text.replace("{start}", start)))
        (found,) = sla.policies
        assert (found.valid_from, found.valid_until) == (
            us("2026-01-01T09:00:00Z"),
            us("2027-01-01T00:00:00Z"),
        )
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_load(text.replace("{start}", "2026-01-01T09:00:00")))
    assert str(caught.value.issues[0]) == (
        "policies[0].valid_from: 2026-01-01T09:00:00 has no offset; add Z or +01:00"
    )


def test_csv_ids_and_columns_named_twice_are_refused() -> None:
    twice = entries_from_csv("id,tier\nacme,gold\nglobex,silver\nacme,bronze\n", "crm.csv")
    assert [e["id"] for e in twice.entries] == ["acme", "globex"]
    assert [str(i) for i in twice.issues] == ["crm.csv:4: id: 'acme' is also on line 2"]
    columns = entries_from_csv("id,Tier,tier\nacme,gold,silver\n", "crm.csv")
    assert [str(i) for i in columns.issues] == ["crm.csv:1: columns named twice: ['tier']"]
