"""The portal in a real browser: Playwright driving Debian's Chromium against the portal
served by uvicorn on a free port, over real published outputs.

Outside CI the module skips with its reason when no Chromium is installed; `.ci/run`
installs it, and there it must run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import openpyxl
import pandas as pd
import pytest

from liushou.cli import main
from liushou.portal.app import create_app
from liushou.portal.server import running
from tests.portal.conftest import MASKED_ID, PASSWORD, Q3, TOWN_A, Clock, add_accounts, copy_out

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="no Chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)",
    ),
]


@pytest.fixture(scope="module")
def served(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    out = copy_out(published, tmp_path_factory.mktemp("browser") / "out")
    add_accounts(out)
    with running(create_app(out, clock=Clock(), secure_cookies=False)) as url:
        yield url, out, published.parent / "landing"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _login(browser, url: str, username: str):
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#logout-button")
    return context, page


def test_township_downloads_only_its_township_with_masked_ids(served, browser, tmp_path):
    url, out, _ = served
    context, page = _login(browser, url, "town-a")
    page.click("#nav-downloads")
    with page.expect_download() as event:
        page.click("#download-register-xlsx")
    path = tmp_path / "register.xlsx"
    event.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    township = body and [r[header.index("乡镇(街道)代码")] for r in body]
    ids = [r[header.index("公民身份号码")] for r in body if r[header.index("公民身份号码")]]
    published = pd.read_parquet(out / Q3 / "register.parquet")
    assert len(body) == (published["township_code"] == TOWN_A).sum() > 0
    assert set(township) == {TOWN_A}  # only its own township
    assert ids and all(MASKED_ID.match(str(i)) for i in ids)  # every ID masked
    assert not set(published["id_number"].dropna()) & {str(i) for i in ids}
    # editing the URL to reach another township gets 403, never data
    response = page.goto(f"{url}/downloads/{Q3}/register.csv?township=350303001")
    assert response is not None and response.status == 403
    context.close()


def test_analyst_resolves_a_conflict_and_the_rerun_applies_it(served, browser, prefect_server):
    url, out, landing = served
    context, page = _login(browser, url, "county")
    page.click("#nav-review")
    page.wait_for_selector("#conflict")
    conflict_id = page.get_attribute("#conflict", "data-conflict-id")
    assert conflict_id
    page.fill("#note", "家访核实，已处理 / checked on a home visit")
    page.click('button[data-decision="resolve_conflict"]')
    page.wait_for_selector("#review-stored")
    assert conflict_id in page.inner_text("#review-stored")
    decided = page.locator(f'#conflict-list li[data-conflict-id="{conflict_id}"]')
    assert "decided" in (decided.get_attribute("class") or "")

    code = main(["run", "--landing", str(landing), "--quarter", Q3, "--out", str(out)])
    assert code in (0, 1)
    resolved = pd.read_parquet(out / Q3 / "resolved_conflicts.parquet")
    row = resolved[resolved["conflict_id"] == conflict_id]
    assert len(row) == 1 and row.iloc[0]["decided_by"] == "county"
    page.goto(f"{url}/review")
    page.wait_for_selector("#conflict-list, #all-decided")
    assert page.locator(f'#conflict-list li[data-conflict-id="{conflict_id}"]').count() == 0
    context.close()


def test_overview_screenshot(served, browser, tmp_path):
    url, _, _ = served
    context, page = _login(browser, url, "county")
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.click("#nav-overview")
    page.wait_for_selector("#register-chart svg")
    assert page.locator("#township-table tr[data-township]").count() > 1
    failing = page.locator("#township-table tr[data-township].fail")
    if failing.count():
        colour = failing.first.evaluate("row => getComputedStyle(row.querySelector('td')).color")
        red, green, blue = map(int, re.findall(r"\d+", colour)[:3])
        assert red > 150 and red > 3 * max(green, blue)  # failing townships shown in red
    path = tmp_path / "overview.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
    target = os.environ.get("LIUSHOU_SCREENSHOT")
    if target:  # `LIUSHOU_SCREENSHOT=docs/portal-overview.png pytest …` refreshes the README's
        shutil.copyfile(path, target)
    context.close()


def test_data_docs_show_every_expectation_offline_with_no_script(served, browser):
    """Bureaus' networks are offline: the pages must need nothing from elsewhere, and
    under the portal's CSP no script of anyone's may run in them."""
    url, out, _ = served
    left: list[str] = []

    def only_here(route) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    context, page = _login(browser, url, "county")
    context.route("**/*", only_here)
    page.click("#nav-runs")
    with page.expect_response(lambda r: r.url.endswith(f"/quarters/{Q3}/docs/index.html")) as got:
        page.locator(f'tr[data-quarter="{Q3}"] a.docs-link').first.click()
    response = got.value
    assert response.status == 200
    page.wait_for_selector("#verdict")
    policy = response.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "unsafe-inline" not in policy
    expectations = pd.read_parquet(out / Q3 / "expectations.parquet")
    suites = sorted(set(expectations["suite"]))
    for suite in suites:
        page.click(f'a[href="{suite}.html"]')
        page.wait_for_selector("table.expectations")
        shown = page.inner_text("table.expectations")
        keys = expectations.loc[expectations["suite"] == suite, "key"]
        assert all(key in shown for key in keys), suite
        assert page.locator("script").count() == 0
        assert page.evaluate("document.scripts.length") == 0
        # the local stylesheet applies under the CSP (a loaded machine may take a moment);
        # polled from here: wait_for_function evaluates strings, which the CSP forbids
        deadline = time.monotonic() + 15
        while not page.evaluate(
            "getComputedStyle(document.querySelector('table')).borderCollapse === 'collapse'"
        ):
            assert time.monotonic() < deadline, f"no stylesheet on {suite}"
            page.wait_for_timeout(100)
        page.go_back()
    assert page.locator("script").count() == 0 and len(suites) > 5
    assert left == []
    context.close()


def _shot(page, tmp_path: Path, name: str) -> Path:
    """A full-page PNG; copied to ``$LIUSHOU_SCREENSHOTS/<name>`` when set (the README's
    pictures: ``LIUSHOU_SCREENSHOTS=docs pytest tests/portal/test_browser.py``)."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    folder = os.environ.get("LIUSHOU_SCREENSHOTS")
    if folder:
        shutil.copyfile(path, Path(folder) / name)
    return path


def test_township_finds_a_child_opens_the_page_and_prints_the_visit_list(served, browser, tmp_path):
    url, out, _ = served
    register = pd.read_parquet(out / Q3 / "register.parquet")
    child = register[register["township_code"] == TOWN_A].iloc[0]
    context, page = _login(browser, url, "town-a")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#search-q", str(child["name"]))
    page.press("#search-q", "Enter")
    page.wait_for_selector("#search-results")
    _shot(page, tmp_path, "portal-search.png")
    page.locator("#search-results a.child-link", has_text=str(child["name"])).first.click()
    page.wait_for_selector("#child-evidence")
    assert page.inner_text("#child-name").startswith(str(child["name"]))
    assert str(child["id_number"]) not in page.content()  # masked for this account
    _shot(page, tmp_path, "portal-child.png")

    page.goto(f"{url}/worklists/visits")
    page.wait_for_selector("h1")
    _shot(page, tmp_path, "portal-visits.png")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == (
        "none"
    )
    pdf = tmp_path / "visits.pdf"
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    page.emulate_media(media="screen")

    page.goto(f"{url}/register")
    page.wait_for_selector("#register-table")
    _shot(page, tmp_path, "portal-register.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{url}/overview")
    page.wait_for_selector("#township-table")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing wider than the screen: wide tables scroll in their box
    _shot(page, tmp_path, "portal-phone.png")
    context.close()


def test_an_agency_marks_an_item_done_and_the_next_run_no_longer_lists_it(
    served, browser, tmp_path, prefect_server
):
    url, out, landing = served
    context, page = _login(browser, url, "edu")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#nav-worklists")
    page.wait_for_selector("#worklist-table")
    row = page.locator('#worklist-table tr[data-route="教育"]').first
    conflict_id = row.get_attribute("data-conflict-id")
    assert conflict_id
    _shot(page, tmp_path, "portal-worklist.png")
    row.locator("input.note").fill("已核实，已在读 / enrolled")
    row.locator('button[data-status="已办结"]').click()
    page.wait_for_selector("#worklist-stored")
    assert page.locator(f'#worklist-table tr[data-conflict-id="{conflict_id}"]').count() == 0

    code = main(["run", "--landing", str(landing), "--quarter", Q3, "--out", str(out)])
    assert code in (0, 1)
    resolved = pd.read_parquet(out / Q3 / "resolved_conflicts.parquet")
    assert conflict_id in set(resolved["conflict_id"])
    page.goto(f"{url}/worklists?show=all")
    page.wait_for_selector("#worklist-table")
    assert page.locator(f'#worklist-table tr[data-conflict-id="{conflict_id}"]').count() == 0
    context.close()


def test_analyst_filters_the_queue_to_one_township_and_decides_three(served, browser, tmp_path):
    url, _, _ = served
    context, page = _login(browser, url, "county")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.click("#nav-review")
    page.wait_for_selector("#review-filter")
    page.select_option("#rv-township", TOWN_A)
    page.select_option("#rv-show", "open")
    page.click("#rv-filter-button")
    page.wait_for_selector("#conflict, #all-decided")
    _shot(page, tmp_path, "portal-review.png")
    decided = []
    for _ in range(3):
        if page.locator("#conflict").count() == 0:
            break
        conflict_id = page.get_attribute("#conflict", "data-conflict-id")
        listed = page.locator(f'#conflict-list li[data-conflict-id="{conflict_id}"]')
        assert listed.get_attribute("data-township") == TOWN_A
        page.fill("#note", "乡镇核实 / checked by the township")
        page.locator(
            '#decision-form button[data-decision]:not([data-decision="confirm_id"])'
        ).first.click()
        page.wait_for_selector("#review-stored")
        decided.append(conflict_id)
        assert f"township={TOWN_A}" in page.url
    assert len(decided) == 3
    for li in page.locator("#conflict-list li").all():
        assert li.get_attribute("data-township") == TOWN_A
    for conflict_id in decided:
        item = page.locator(f'#conflict-list li[data-conflict-id="{conflict_id}"]')
        assert item.count() == 0 or "decided" in (item.get_attribute("class") or "")
    context.close()
