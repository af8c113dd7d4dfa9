"""The dashboard in a real browser: Chromium driven by Playwright against ``driftpilot serve``.

The service runs behind a proxy that mounts it at ``/dp`` (``--public-url`` with a path), so
every URL the pages write must carry the prefix for these tests to pass. One seeded service
per module (``conftest.served``); each test has its own browser context (its own cookies).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.served import Served

pytestmark = pytest.mark.slow

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.errors = errors
    yield opened
    context.close()
    # No script error and no Content-Security-Policy refusal on any page the test opened.
    assert errors == []


def _sign_in(page: Any, served: Served, key: str) -> None:
    page.goto(f"{served.url}/dashboard/")
    assert page.url.startswith(f"{served.url}/dashboard/login")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.url}/dashboard/")


def _serious(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE)  # evaluated by the DevTools protocol: the page's CSP does not apply
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_sign_in_drill_down_acknowledge_and_sign_out(page: Any, served: Served) -> None:
    _sign_in(page, served, served.admin_key)
    cookie = next(c for c in page.context.cookies() if c["name"] == "dp_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/dp/dashboard"
    assert cookie["secure"] is False  # the public URL is http here

    # the fleet: every model, the drifting one with its open critical alert
    rows = page.locator("#fleet tbody tr")
    assert rows.count() == 14
    loans = page.locator("#fleet tbody tr", has_text="loans")
    assert "1 critical" in loans.inner_text()
    page.fill("#q", "model-00")
    page.click("form.filters button")
    assert page.locator("#fleet tbody tr").count() == 10
    assert "10 of 14 models" in page.inner_text("p.count")
    page.goto(f"{served.url}/dashboard/?sort=name&order=asc")
    names = page.locator("#fleet tbody th a").all_inner_texts()
    assert names == sorted(names)

    # drill into the model
    page.click("#fleet tbody th a:text-is('loans')")
    page.wait_for_url(f"{served.url}/dashboard/models/loans")
    assert page.locator("h1").inner_text().startswith("loans")
    assert page.locator("#perf-h ~ figure svg").count() >= 1
    data = json.loads(page.inner_text("#heatmap-data"))
    assert data["features"] == sorted(data["features"])
    critical = data["codes"].index(2)
    row, col = divmod(critical, len(data["windows"]))
    canvas = page.locator("#heatmap")
    geometry = canvas.evaluate("c => ({...c.dataset})")
    x = float(geometry["left"]) + (col + 0.5) * float(geometry["cellWidth"])
    y = float(geometry["top"]) + (row + 0.5) * float(geometry["cellHeight"])
    canvas.click(position={"x": x, "y": y})
    panel = page.locator("#distribution")
    panel.locator("svg").wait_for()
    feature = data["features"][row]
    assert panel.locator("h3").inner_text().startswith(feature)
    assert "reference" in panel.inner_text()
    assert panel.locator("svg rect").count() > 0

    # acknowledge the alert from the Alerts page
    page.click("nav >> text=Alerts")
    page.wait_for_url(f"{served.url}/dashboard/alerts")
    firing = page.locator("#alerts tbody tr", has_text="input-drift").first
    assert "firing" in firing.inner_text()
    firing.locator("button", has_text="Acknowledge").click()
    page.wait_for_url(f"{served.url}/dashboard/alerts?state=open&done=*")
    assert "acknowledged" in page.inner_text("p.done")
    assert "acknowledged by dashboard:" in page.locator("#alerts tbody tr").first.inner_text()

    # silence it
    page.locator("#alerts tbody tr").first.locator("button", has_text="Silence").click()
    page.wait_for_url(f"{served.url}/dashboard/alerts?state=open&done=*")
    assert "silenced for 4 h" in page.inner_text("p.done")
    page.click("nav.tabs >> text=silenced")
    assert "silenced until" in page.locator("#alerts tbody tr").first.inner_text()

    # sign out: the cookie is gone and pages ask to sign in again
    page.click("button:text-is('Sign out')")
    page.wait_for_url(f"{served.url}/dashboard/login")
    assert not [c for c in page.context.cookies() if c["name"] == "dp_session"]
    page.goto(f"{served.url}/dashboard/alerts")
    assert page.url.startswith(f"{served.url}/dashboard/login")


def test_the_alerts_signed_link_opens_its_run_without_a_session(page: Any, served: Served) -> None:
    link = served.report_link()
    assert link.startswith(f"{served.url}/reports/runs/")
    page.goto(link)
    assert "on loans" in page.inner_text("body")
    run_id = link.split("/runs/")[1].split("?")[0]
    token = link.split("token=")[1]
    page.goto(f"{served.url}/dashboard/runs/{run_id}?token={token}")
    assert page.locator("h1").inner_text() == "loans-hourly on loans"
    assert "signed, read-only link" in page.inner_text("main")
    assert page.locator("#results tbody tr").count() > 0
    assert page.locator("button:text-is('Sign out')").count() == 0  # no session
    refused = page.goto(f"{served.url}/dashboard/runs/{int(run_id) + 1}?token={token}")
    assert refused.status == 403
    assert "does not open run" in page.inner_text("main")
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    page.errors.clear()  # that refusal was the point


def test_a_read_key_sees_but_cannot_act(page: Any, served: Served) -> None:
    _sign_in(page, served, served.read_key)
    page.goto(f"{served.url}/dashboard/alerts?state=open")
    assert page.locator("#alerts tbody tr").count() >= 1
    assert page.locator("#alerts button").count() == 0


def test_keyboard_alone_reaches_a_heatmap_cell(page: Any, served: Served) -> None:
    _sign_in(page, served, served.admin_key)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(40):  # tab through the filters and the table to the model's link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "loans":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.url}/dashboard/models/loans")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "heatmap":
            break
    assert page.evaluate("document.activeElement.id") == "heatmap"
    before = page.inner_text("#heatmap-cell")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#heatmap-cell") != before
    page.keyboard.press("Enter")
    page.locator("#distribution svg").wait_for()


def test_no_serious_accessibility_violations(page: Any, served: Served) -> None:
    page.goto(f"{served.url}/dashboard/login")
    found = {"login": _serious(page)}
    _sign_in(page, served, served.admin_key)
    for name, path in (("fleet", "/dashboard/"), ("model", "/dashboard/models/loans"),
                       ("alerts", "/dashboard/alerts?state=open"),
                       ("run", "/dashboard/runs/1")):  # fmt: skip
        page.goto(f"{served.url}{path}")
        found[name] = _serious(page)
    assert found == {name: [] for name in found}


def test_root_redirects_to_the_dashboard_through_the_proxy(page: Any, served: Served) -> None:
    page.goto(f"{served.url}/")
    assert page.url.startswith(f"{served.url}/dashboard/login?next=/dp/dashboard/")
    css = page.request.get(f"{served.url}/static/dashboard/dashboard.css")
    assert css.status == 200
    assert "text/css" in css.headers["content-type"]
