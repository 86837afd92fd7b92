"""The advice pages in a real headless Chromium: a proposal that tightens the first-response
targets judged beside the current configuration on the stored history, a bad document (read from
a file) shown with its issues, the targets recommended per metric and priority, and customers
refused.

The server, the browser and the login are those of ``test_dashboard.py``: a real uvicorn over a
SQLite store holding the example configuration and a week of demo history ending now.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.browser import test_dashboard as dashboard
from tests.browser.test_dashboard import Site, login

site = dashboard.site
browser = dashboard.browser
page = dashboard.page


def _percent(text: str) -> float | None:
    return None if text.strip() == "—" else float(text.strip().rstrip("%"))


def test_a_tighter_proposal_shows_lower_compliance_than_the_current(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.click("header a[href='/ui/whatif']")
    page.wait_for_url(site.base + "/ui/whatif")
    assert page.get_attribute("header a[href='/ui/whatif']", "class") == "here"
    assert page.input_value("input[name=from]")  # the last 30 days by default
    document = yaml.safe_load(page.input_value("textarea[name=source]"))  # the current one
    for policy in document["policies"]:
        if "first_response" in policy["targets"]:
            policy["targets"]["first_response"] = {"default": "1m"}
    page.fill("textarea[name=source]", yaml.safe_dump(document, sort_keys=False))
    page.click("#proposal button[type=submit]")
    page.wait_for_selector("#whatif-metric-priority")
    assert "Current configuration: version 1" in page.inner_text("#whatif-summary")
    rows = page.locator("#whatif-metric-priority tbody tr[data-metric=first_response]")
    assert rows.count() > 0
    lower = 0
    for i in range(rows.count()):
        row = rows.nth(i)
        current = _percent(row.locator("td.current").inner_text())
        proposed = _percent(row.locator("td.proposed").inner_text())
        if current is None or proposed is None:
            continue
        assert proposed <= current
        if proposed < current:
            lower += 1
            assert "breached" in (row.locator("td.change").get_attribute("class") or "")
            assert row.locator("td.change").inner_text().startswith("-")
    assert lower > 0
    # the other metrics keep their targets: no change
    resolution = page.locator("#whatif-metric-priority tbody tr[data-metric=resolution] td.change")
    assert resolution.count() > 0
    changes = {
        resolution.nth(i).inner_text().replace("\xa0", " ") for i in range(resolution.count())
    }
    assert changes <= {"+0.00 pp", "—"}


def test_a_bad_document_from_a_file_shows_its_issues(page: Any, site: Site) -> None:
    login(page, site, "admin")
    page.goto(site.base + "/ui/whatif")
    bad = "policies:\n  - name: Everyone\n    targets:\n      first_response: {default: 4x}\n"
    page.set_input_files(
        "input[type=file][data-into=source]",
        files=[{"name": "proposed.yaml", "mimeType": "text/yaml", "buffer": bad.encode()}],
    )
    page.wait_for_function("() => document.getElementById('source').value.includes('4x')")
    page.fill("input[name=to]", "not a date")
    page.click("#proposal button[type=submit]")
    page.wait_for_selector("#issues")
    assert page.inner_text("#issues li code") == "to"  # the period is checked first ...
    assert "not an RFC 3339 instant" in page.inner_text("#issues")
    assert "4x" not in page.inner_text("#issues")
    page.fill("input[name=to]", "")
    page.click("#proposal button[type=submit]")
    page.wait_for_selector("#issues")
    issues = page.inner_text("#issues")  # ... then the document, every problem named
    assert "policies[0].targets.first_response.default" in issues
    assert "'4x' is not a duration" in issues
    assert page.input_value("textarea[name=source]") == bad  # kept, to correct it
    assert page.locator("#whatif-metric-priority").count() == 0


def test_the_targets_page_recommends_a_target_per_metric_and_priority(
    page: Any, site: Site
) -> None:
    login(page, site, "admin")
    page.click("header a[href='/ui/targets']")
    page.wait_for_url(site.base + "/ui/targets")
    page.select_option("select[name=goal]", "0.8")
    page.select_option("select[name=confidence]", "0.9")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*goal=0\.8.*confidence=0\.9.*"))
    assert "80% of the time" in page.inner_text("#targets-summary")
    rows = page.locator("#targets tbody tr[data-metric]")
    keys = [
        (rows.nth(i).get_attribute("data-metric"), rows.nth(i).get_attribute("data-priority"))
        for i in range(rows.count())
    ]
    assert len(keys) == len(set(keys)) > 4  # one row per metric and priority
    recommended = 0
    for i in range(rows.count()):
        row = rows.nth(i)
        target = row.locator("td.recommended").inner_text()
        if target != "—":
            recommended += 1
            assert re.fullmatch(r".+ – .+", row.locator("td.interval").inner_text())
            assert "—" not in row.locator("td.interval").inner_text()
    assert recommended >= 4
    normal = page.locator("#targets tr[data-metric=first_response][data-priority=normal]")
    cells = normal.locator("td")
    assert cells.nth(3).inner_text() != "—"  # the current target ...
    assert cells.nth(4).inner_text().endswith("%")  # ... and its compliance
    assert page.locator("#targets-by-policy tbody tr").count() >= rows.count()


def test_customers_are_refused_advice(page: Any, site: Site) -> None:
    login(page, site, "acme")
    for path in ("/ui/whatif", "/ui/targets"):
        answer = page.goto(site.base + path)
        assert answer.status == 403
        assert "staff only" in page.inner_text("[role=alert]")
