"""The dashboard in a real headless Chromium (Debian's, driven by Playwright; nothing is
downloaded): log in, read the at-risk queue with its countdown, filter compliance, open a ticket
and its clocks, see the alert log, edit the configuration — as an admin and as a customer.

The server is a real uvicorn on 127.0.0.1 over a SQLite store holding the example configuration
and a week of demo history ending now. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from slakeeper.bootstrap import Services, bootstrap
from slakeeper.entrypoints.api.app import create_app
from slakeeper.entrypoints.serve import EXAMPLE_CONFIG, load_demo
from slakeeper.service.tokens import create_token
from slakeeper.settings import Settings

CHROMIUM = Path("/usr/lib/chromium/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

playwright_api = pytest.importorskip("playwright.sync_api")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium", pytrace=False)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Site:
    def __init__(self, svc: Services, base: str, tokens: dict[str, str]) -> None:
        self.svc = svc
        self.base = base
        self.tokens = tokens


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    svc = bootstrap(Settings(database_url=f"sqlite:///{folder / 'ui.db'}"))
    load_demo(svc, EXAMPLE_CONFIG, tickets=150, days=7)
    now = svc.now()
    tokens = {
        "admin": create_token(svc.uow, "ops", "admin", None, now)[1],
        "acme": create_token(svc.uow, "acme-view", "viewer", "acme", now)[1],
    }
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Site(svc, f"http://127.0.0.1:{port}", tokens)
    server.should_exit = True
    thread.join(10)
    svc.engine.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("chromium")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    with playwright_api.sync_playwright() as p:
        found = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield found
        found.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    found = context.new_page()
    yield found
    ARTIFACTS.mkdir(exist_ok=True)
    found.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def login(page: Any, site: Site, who: str) -> None:
    page.goto(site.base + "/ui/")
    assert page.url.endswith("/ui/login")
    page.fill("input[name=token]", site.tokens[who])
    page.click("button[type=submit]")
    page.wait_for_url(site.base + "/ui/")


def test_a_wrong_token_is_refused_and_pages_need_a_login(page: Any, site: Site) -> None:
    page.goto(site.base + "/ui/compliance")
    assert page.url.endswith("/ui/login")
    page.fill("input[name=token]", "slk_not-a-token")
    page.click("button[type=submit]")
    assert "Unknown or revoked token" in page.inner_text("[role=alert]")


def test_the_queue_counts_down_and_colours_by_risk(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.select_option("select[name=within]", "72h")
    page.click("form.filters button")
    rows = page.locator("#queue tbody tr[data-target]")
    assert rows.count() > 0
    first = rows.first.locator("td.left")
    before = first.inner_text()
    page.wait_for_timeout(1500)
    assert first.inner_text() != before  # the countdown runs in the browser
    classes = {rows.nth(i).get_attribute("class") for i in range(rows.count())}
    assert classes <= {"risk-ok", "risk-warn", "risk-high", "risk-late"}
    # the queue's region reloads itself from its fragment
    page.evaluate(
        "() => { const q = document.getElementById('queue'); "
        "fetch(q.dataset.refresh).then(r => r.text()).then(h => { q.innerHTML = h; "
        "q.dataset.refreshed = 'yes'; }); }"
    )
    page.wait_for_selector("#queue[data-refreshed=yes]")
    assert page.locator("#queue tbody tr").count() > 0


def test_compliance_filters_and_charts(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.click("text=Compliance")
    page.select_option("select[name=by]", "priority")
    page.select_option("select[name=period]", "day")
    page.fill("input[name=tz]", "Europe/Berlin")
    page.click("form.filters button")
    table = page.locator("#compliance-table tbody tr")
    assert table.count() >= 2
    priorities = {table.nth(i).locator("td").first.inner_text() for i in range(table.count())}
    assert priorities <= {"urgent", "high", "normal", "low", "—"}
    assert page.locator("svg.bars rect").count() == table.count()
    assert page.locator("svg.trend rect").count() >= 5  # a week of days
    page.select_option("select[name=priority]", "high")
    page.click("form.filters button")
    only_high = page.locator("#compliance-table tbody tr")
    assert [
        only_high.nth(i).locator("td").first.inner_text() for i in range(only_high.count())
    ] == ["high"]
    page.fill("input[name=tz]", "Mars/Olympus")
    page.click("form.filters button")
    assert "unknown time zone 'Mars/Olympus'" in page.inner_text("ul.issues")


def test_a_ticket_shows_its_clocks_timeline_and_why(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.goto(site.base + "/ui/tickets/T-000010")
    assert page.inner_text("h1") == "Ticket T-000010"
    assert page.locator("svg.clocks rect.segment").count() >= 2
    assert page.locator("svg.clocks line.due").count() >= 1
    assert page.locator("details.clock").count() >= 2
    assert "ticket.created" in page.inner_text("table")
    assert "✔" in page.inner_text("details.clock >> nth=0")


def test_a_customer_sees_only_its_own_and_no_configuration(page: Any, site: Site) -> None:
    login(page, site, "acme")
    assert "acme" in page.inner_text("header .who")
    page.select_option("select[name=within]", "72h")
    page.click("form.filters button")
    customers = page.locator("#queue tbody tr[data-target] td:nth-child(5)")
    assert {customers.nth(i).inner_text() for i in range(customers.count())} <= {"acme"}
    page.goto(site.base + "/ui/config")
    assert "not for customers" in page.inner_text("[role=alert]")
    page.goto(site.base + "/ui/tickets/T-000001")
    heading = page.inner_text("h1")
    assert heading in ("Ticket T-000001", "Not found")


def test_editing_the_configuration_validates_before_saving(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.click("text=Calendars & policies")
    assert page.locator("table >> nth=1").locator("tbody tr").count() >= 5
    original = page.input_value("textarea[name=source]")
    page.fill(
        "textarea[name=source]",
        original.replace("first_response: {urgent: 15m", "first_response: {urgent: 15x", 1),
    )
    page.click("text=Validate and save")
    assert "Not saved" in page.inner_text("main")
    assert "15x" in page.inner_text("ul.issues")
    page.fill("textarea[name=source]", original)
    page.click("text=Validate and save")
    assert "Saved as version" in page.inner_text("[role=status]")


def test_the_review_page_of_a_period(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.click("text=Review")
    this_month = datetime.now(UTC).strftime("%Y-%m")
    page.fill("input[name=period]", this_month)
    page.click("form.filters button")
    assert f"SLA review — {this_month}" in page.inner_text("h1")
    scopes = page.locator("section.scope")
    assert scopes.count() >= 2  # overall and at least one customer
    assert scopes.first.get_attribute("data-scope") == "overall"
    page.fill("input[name=period]", "2026-13")
    page.click("form.filters button")
    assert "write a month" in page.inner_text("ul.issues")


def test_availability_bars_burn_down_and_credits(page: Any, site: Site) -> None:
    from zoneinfo import ZoneInfo

    from slakeeper.domain.availability import Incident
    from slakeeper.domain.periods import containing, earlier
    from slakeeper.service.availability import record_incident

    utc = ZoneInfo("UTC")
    last = earlier(containing(site.svc.now(), "month", utc), utc, 1)[0]
    day = 86_400_000_000
    outage = Incident(
        "UI-1", "compute", last.start + 2 * day, last.start + 2 * day + 9 * 3_600_000_000, "major"
    )
    record_incident(site.svc.uow, site.svc.config, outage, site.svc.now(), "browser test")
    login(page, site, "admin")
    page.click("text=Availability")
    page.select_option("select[name=service]", "compute")
    page.fill("input[name=period]", last.label)
    page.click("form.filters button")
    assert f"compute — compute-monthly ({last.label})" in page.inner_text(
        "#availability-summary h2"
    )
    assert page.locator("svg.uptime rect.breached").count() == 1  # the day of the outage
    assert page.locator("svg.uptime rect.met").count() >= 27
    assert page.locator("svg.burn polyline.budget").count() == 1
    assert page.inner_text("#uptime").startswith("98.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "availability_page.png"), full_page=True)
    page.click("text=Statements")
    page.fill("input[name=period]", last.label)
    page.click("form.filters button")
    table = page.inner_text("#credits")
    assert "acme" in table
    assert "issued" in table
    assert "200.00 EUR" in table  # compute at 98.8%: 25% of 800
    page.screenshot(path=str(ARTIFACTS / "statements_page.png"), full_page=True)
    page.goto(site.base + "/ui/statements?period=2026-Q4")
    assert "monthly" in page.inner_text("ul.issues")


def test_a_ticket_shows_routing_advice_and_breach_risk(page: Any, site: Site) -> None:
    from slakeeper.service.queries import list_clocks
    from slakeeper.service.records import ClockFilter, RiskRow

    svc = site.svc
    now = svc.now()
    running = list_clocks(
        svc.uow, svc.config, ClockFilter(status="active", customer="acme", now=now), None, 50
    ).clocks
    clock = running[0]
    with svc.uow() as store:
        store.replace_risks(
            [RiskRow(clock.ticket, clock.metric, clock.cycle, 0.42, ("no agent yet",), now, 1)]
        )
        current = svc.config.current(store)
    assert current is not None
    roster = current.config.agents
    login(page, site, "admin")
    page.goto(f"{site.base}/ui/tickets/{clock.ticket}")
    advice = page.locator("#routing-advice")
    assert advice.locator("h2").inner_text() == "Routing advice"
    assert "Assigned to" in advice.inner_text()
    rows = advice.locator("tr.agent")
    assert rows.count() == len(roster) > 0  # every agent of the roster, best first
    assert rows.first.locator("td").first.inner_text() == "1"
    assert "skill" in rows.first.inner_text()
    risk = page.locator(f".breach-risk[data-clock='{clock.metric}#{clock.cycle}']")
    assert risk.inner_text() == "42%"
    assert risk.get_attribute("title") == "no agent yet"
    listed = " ".join(page.locator("details.clock").all_text_contents())
    assert "Breach risk 42%: no agent yet." in listed
    other = next((c for c in running if c.ticket != clock.ticket), None)
    if other is not None:  # a running clock no model has scored
        page.goto(f"{site.base}/ui/tickets/{other.ticket}")
        unscored = page.locator(f".breach-risk[data-clock='{other.metric}#{other.cycle}']")
        assert unscored.inner_text() == "—"
    page.context.clear_cookies()
    login(page, site, "acme")  # its own ticket, but agents are staff: no advice for customers
    page.goto(f"{site.base}/ui/tickets/{clock.ticket}")
    assert page.inner_text("h1") == f"Ticket {clock.ticket}"
    assert page.locator(".breach-risk").first.inner_text() != ""
    assert page.locator("#routing-advice").count() == 0
