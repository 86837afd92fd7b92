"""The help desks' API channels and the add_note action in the configuration: what is checked
when it is stored, with the paths of the problems."""

from __future__ import annotations

from typing import Any

import pytest

from slakeeper.domain.config import parse_config
from slakeeper.domain.errors import ConfigError
from tests.factories import config, policy

DESKS = {
    "zd": {"type": "zendesk", "url": "https://acme.zendesk.com", "email": "o@x", "token": "${T}"},
    "jira": {"type": "jira", "url": "https://acme.atlassian.net", "email": "o@x", "token": "t"},
    "gh": {"type": "github", "token": "${GH}"},
}


def document(**extra: Any) -> dict[str, Any]:
    doc = config(policy("P", {"first_response": {"default": "1h"}}))
    doc["channels"] = dict(DESKS)
    doc.update(extra)
    return doc


def problems(doc: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    return {i.where: i.message for i in caught.value.issues}


def test_help_desk_channels_take_outbound_actions() -> None:
    for name in DESKS:
        doc = document(outbound=name)
        doc["policies"][0]["escalations"] = [
            {"at": "due", "actions": [{"add_note": "Overdue"}, {"raise_priority": "urgent"}]}
        ]
        level = parse_config(doc).policies[0].escalations[0]
        assert [(a.kind, dict(a.options)) for a in level.actions] == [
            ("add_note", {"value": "Overdue"}),
            ("raise_priority", {"value": "urgent"}),
        ]


def test_a_help_desk_channel_is_not_a_notify_route() -> None:
    found = problems(document(notify={"channels": ["zd"]}))
    assert (
        found["notify.channels"]
        == "channel 'zd' (zendesk) takes outbound actions: name it as outbound"
    )


@pytest.mark.parametrize(
    ("channel", "where", "message"),
    [
        ({"type": "zendesk", "url": "https://x.zendesk.com", "token": "t"}, "email", "required"),
        ({"type": "jira", "url": "ftp://x", "email": "e", "token": "t"}, "url", "http(s) URL"),
        ({"type": "github"}, "token", "required"),
        (
            {"type": "jira", "url": "https://x", "email": "e", "token": "t", "priorities": ["P1"]},
            "priorities",
            "a mapping",
        ),
        ({"type": "github", "token": "t", "project": "x"}, "project", "unknown option"),
    ],
)
def test_bad_help_desk_channels(channel: dict[str, Any], where: str, message: str) -> None:
    doc = document()
    doc["channels"]["desk"] = channel
    found = problems(doc)
    assert message in found[f"channels.desk.{where}"]


def test_a_note_needs_text() -> None:
    doc = document(outbound="zd")
    doc["policies"][0]["escalations"] = [{"at": "due", "actions": [{"add_note": " "}]}]
    assert (
        problems(doc)["policies[0].escalations[0].actions[0].add_note"] == "give the note as text"
    )
