"""The channel templates and their filters: every kind of alert renders, overrides win, HTML escapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slakeeper.adapters.notify.render import Renderer, action, duration, instant
from tests.messages import alert_message

TEMPLATES = [
    "title.txt.j2",
    "slack.md.j2",
    "teams.md.j2",
    "whatsapp.txt.j2",
    "email_subject.txt.j2",
    "email.txt.j2",
    "email.html.j2",
]
# what each template must show (Slack and Teams show the id and link in their own blocks)
SHOWS_ID_AND_LINK = ["whatsapp.txt.j2", "email.txt.j2", "email.html.j2"]
SHOWS_FACTS = ["slack.md.j2", "whatsapp.txt.j2", "email.txt.j2", "email.html.j2"]


alert = alert_message


WARNING = alert()
BREACH = alert(kind="breach", threshold="breach", time_left_s=0)
ESCALATION = alert(
    kind="escalation",
    threshold="escalation 2",
    level=2,
    time_left_s=-7260,
    link="https://desk.example.com/tickets/1",
    actions=[{"kind": "reassign", "group": "tier2"}, {"kind": "raise_priority", "value": "urgent"}],
)
LATE = alert(late=True, fired_at="2026-03-13T14:52:30Z", time_left_s=450)
OVERDUE = alert(kind="breach", threshold="breach", time_left_s=-65)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (900, "15m"),
        (930, "15m 30s"),
        (3900, "1h 05m"),
        (3600, "1h 00m"),
        (2 * 86400 + 3 * 3600 + 59, "2d 3h"),
        (86400, "1d"),
        (-65, "1m 05s"),
    ],
)
def test_a_duration_reads_in_its_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_an_instant_reads_in_utc_to_the_minute_or_second() -> None:
    assert instant("2026-03-13T15:00:00Z") == "2026-03-13 15:00 UTC"
    assert instant("2026-03-13T16:00:30+01:00") == "2026-03-13 15:00:30 UTC"
    with pytest.raises(ValueError):
        instant("2026-03-13T15:00:00")  # no offset: not an instant


def test_an_action_reads_as_one_phrase() -> None:
    assert action({"kind": "reassign", "group": "tier2"}) == "reassign: group tier2"
    assert action({"kind": "raise_priority", "value": "urgent"}) == "raise priority: urgent"
    assert action({"kind": "notify", "channels": ["slack"], "to": ["#a", "#b"]}) == (
        "notify: channels slack; to #a, #b"
    )
    assert action({"kind": "add_tag"}) == "add tag"


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize(
    "payload",
    [WARNING, BREACH, ESCALATION, LATE, OVERDUE],
    ids=["warning", "breach", "escalation", "late", "overdue"],
)
def test_every_template_renders_every_kind_of_alert(
    renderer: Renderer, name: str, payload: dict[str, Any]
) -> None:
    assert renderer.render(name, payload).strip()


def test_the_title_says_what_happened_and_the_time_left(renderer: Renderer) -> None:
    assert renderer.line("title.txt.j2", WARNING) == (
        "⚠ Warning: T-1 first response 75% used — 15m left"
    )
    assert renderer.line("title.txt.j2", alert(threshold="30m before", time_left_s=1800)) == (
        "⚠ Warning: T-1 first response 30m before due — 30m left"
    )
    assert renderer.line("title.txt.j2", BREACH) == "🔴 Breached: T-1 first response — time is up"
    assert renderer.line("title.txt.j2", OVERDUE) == (
        "🔴 Breached: T-1 first response — overdue by 1m 05s"
    )
    assert renderer.line("title.txt.j2", ESCALATION) == (
        "Escalation 2: T-1 first response — overdue by 2h 01m"
    )
    assert "\n" not in renderer.render("title.txt.j2", ESCALATION).strip()


@pytest.mark.parametrize("name", SHOWS_FACTS)
def test_a_body_shows_ticket_clock_policy_priority_time_and_due(
    renderer: Renderer, name: str
) -> None:
    text = renderer.render(name, WARNING)
    for shown in ("T-1", "first response, cycle 1", "gold", "high", "15m", "2026-03-13 15:00 UTC"):
        assert shown in text, (name, shown)
    assert "overdue" not in text
    assert "overdue by 2h 01m" in renderer.render(name, ESCALATION)


@pytest.mark.parametrize("name", [*SHOWS_FACTS, "teams.md.j2"])
def test_a_body_lists_the_escalation_actions_and_notes_a_late_alert(
    renderer: Renderer, name: str
) -> None:
    text = renderer.render(name, ESCALATION)
    assert "reassign: group tier2" in text
    assert "raise priority: urgent" in text
    assert "late" not in renderer.render(name, WARNING).lower()
    late = renderer.render(name, LATE)
    assert "Sent late" in late
    assert "2026-03-13 14:52:30 UTC" in late


@pytest.mark.parametrize("name", SHOWS_ID_AND_LINK)
def test_a_body_shows_the_link_when_there_is_one_and_the_alert_id(
    renderer: Renderer, name: str
) -> None:
    assert "https://desk.example.com/tickets/1" in renderer.render(name, ESCALATION)
    assert "https://" not in renderer.render(name, WARNING)
    assert "alert-42" in renderer.render(name, WARNING)


def test_html_is_escaped_and_text_is_not(renderer: Renderer) -> None:
    hostile = alert(ticket="<script>alert(1)</script>", customer="A & B")
    html = renderer.render("email.html.j2", hostile)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &amp; B" in html
    assert html.count("&lt;script&gt;") == 3  # the <title>, the heading and the table
    assert "&amp;lt;" not in html  # escaped once, not twice
    for name in ("email.txt.j2", "whatsapp.txt.j2", "title.txt.j2"):
        assert "<script>alert(1)</script>" in renderer.render(name, hostile), name
    slack = renderer.render("slack.md.j2", hostile)  # mrkdwn: & < > are control characters
    assert "&lt;script&gt;" in slack
    assert "<script>" not in slack


def test_a_template_in_the_user_directory_wins(tmp_path: Path) -> None:
    (tmp_path / "title.txt.j2").write_text("{{ ticket }} needs you ({{ alert.id }})")
    renderer = Renderer(tmp_path)
    assert renderer.render("title.txt.j2", WARNING) == "T-1 needs you (alert-42)"
    # the others still come from the package, and use the override where they include it
    assert renderer.line("email_subject.txt.j2", WARNING) == "[SLA] T-1 needs you (alert-42)"
    assert "Ticket: T-1" in renderer.render("whatsapp.txt.j2", WARNING)


def test_a_broken_user_template_is_a_value_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "slack.md.j2").write_text("{% if ticket %}unclosed")
    (tmp_path / "teams.md.j2").write_text("{{ no_such_key }}")
    (tmp_path / "whatsapp.txt.j2").write_text("{{ ticket | no_such_filter }}")
    renderer = Renderer(tmp_path)
    for name in ("slack.md.j2", "teams.md.j2", "whatsapp.txt.j2"):
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            renderer.render(name, WARNING)
    with pytest.raises(ValueError, match="no_such_key"):
        renderer.render("teams.md.j2", WARNING)
    with pytest.raises(ValueError, match=r"nothing\.j2"):
        renderer.render("nothing.j2", WARNING)


def test_a_payload_missing_a_key_is_a_value_error(renderer: Renderer) -> None:
    payload = alert()
    del payload["ticket"]
    with pytest.raises(ValueError, match=r"title\.txt\.j2.*ticket"):
        renderer.render("title.txt.j2", payload)


def test_a_templates_directory_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Renderer(tmp_path / "missing")
