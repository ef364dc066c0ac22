"""The fleet dashboard in a real headless Chromium: content through the DOM, sorting, filtering, no network, and
readable with JavaScript off. No Chromium process outlives a test (testkit/browser.py checks /proc)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudlink_provider.fleet.render.dashboard import dashboard_html, write_dashboard
from testkit.browser import headless_chromium, processes_using
from testkit.reports import drift_report

pytestmark = pytest.mark.e2e


def _page(tmp_path: Path, report: dict, name: str = "dashboard.html") -> Path:
    page = tmp_path / name
    write_dashboard(report, page)
    return page


def _column(driver, key: str) -> list[str]:
    from selenium.webdriver.common.by import By

    heads = [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#customers thead th")]
    i = heads.index(key)
    return [row.find_elements(By.TAG_NAME, "td")[i].get_attribute("data-sort")
            for row in driver.find_elements(By.CSS_SELECTOR, "#customers tbody tr") if row.is_displayed()]


def test_the_page_is_self_contained():
    html = dashboard_html(drift_report(12))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched: no CDN, no font
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # and the page forbids itself any fetch


def test_content_sorting_and_filtering_in_a_real_browser(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    report = drift_report(12)
    page = _page(tmp_path, report)
    with headless_chromium(tmp_path) as driver:
        driver.get(page.as_uri())
        assert driver.title == "CloudLink fleet drift"
        totals = {li.get_attribute("data-total"): li.find_element(By.TAG_NAME, "b").text
                  for li in driver.find_elements(By.CSS_SELECTOR, "#totals li")}
        assert totals["stacks"] == "12" and totals["failed"] == "1" and totals["drifted"] == "6"
        assert totals["new"] == "4" and totals["resolved"] == "1"  # 2, 6 (two), 12 new; 3, 9 still; 8 accepted
        rows = driver.find_elements(By.CSS_SELECTOR, "#customers tbody tr")
        assert len(rows) == 12 and driver.find_element(By.ID, "shown").text == "12 of 12 customers shown"
        heads = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#customers thead th")]
        assert heads == ["customer", "status", "labels", "drift", "accepted", "failure", "pending users",
                         "capacity use", "standards alignment"]
        row6 = driver.find_element(By.CSS_SELECTOR, 'tr[data-customer="customer-006"]')
        assert row6.get_attribute("data-new") == "2" and "2 new" in row6.text and "tier=silver" in row6.text
        row5 = driver.find_element(By.CSS_SELECTOR, 'tr[data-customer="customer-005"]')
        assert "ServerError 503" in row5.text and "50 of 500 (10%)" in row5.text
        groups = driver.find_elements(By.CSS_SELECTOR, "#drift-groups .group")
        language = next(g for g in groups if "languageCode" in g.text)
        assert "The same change on 4 customers" in language.text  # 3, 6, 9, 12 (8's is accepted)
        assert language.get_attribute("data-new") == "2" and "new on 2" in language.text
        assert "customer-004/account/domain" in driver.find_element(By.ID, "resolved").text
        chart = driver.find_element(By.CSS_SELECTOR, "#trend svg")
        assert chart.is_displayed() and chart.size["height"] > 100
        assert len(driver.find_elements(By.CSS_SELECTOR, "#trend svg g")) == 6

        # sorting: by drift, descending on a second click; by customer again
        drift_head = driver.find_element(By.CSS_SELECTOR, '#customers th[data-key="drift"] button')
        drift_head.click()
        assert _column(driver, "drift") == sorted(_column(driver, "drift"), key=float)
        drift_head.click()
        values = [float(v) for v in _column(driver, "drift")]
        assert values == sorted(values, reverse=True) and values[0] == 2
        assert driver.find_element(By.CSS_SELECTOR, '#customers th[data-key="drift"]').get_attribute(
            "aria-sort") == "descending"
        driver.find_element(By.CSS_SELECTOR, '#customers th[data-key="alignment"] button').click()
        scores = [float(v) for v in _column(driver, "alignment")]
        assert scores == sorted(scores)
        driver.find_element(By.CSS_SELECTOR, '#customers th[data-key="customer"] button').click()
        assert _column(driver, "customer") == [f"customer-{i:03d}" for i in range(1, 13)]

        # filtering: by status, by text (a label), both cleared
        Select(driver.find_element(By.ID, "status-filter")).select_by_value("drifted")
        drifted = {f"customer-{i:03d}" for i in (2, 3, 6, 8, 9, 12)}
        assert set(_column(driver, "customer")) == drifted
        assert driver.find_element(By.ID, "shown").text == f"{len(_column(driver, 'customer'))} of 12 customers shown"
        text = driver.find_element(By.ID, "text-filter")
        text.send_keys("tier=gold")
        assert set(_column(driver, "customer")) == {"customer-003", "customer-009"}
        Select(driver.find_element(By.ID, "status-filter")).select_by_value("")
        assert set(_column(driver, "customer")) == {f"customer-{i:03d}" for i in range(1, 13, 2)}
        text.clear()
        driver.execute_script("document.getElementById('text-filter').dispatchEvent(new Event('input'))")
        assert len(_column(driver, "customer")) == 12
        profile = next(Path(tmp_path).glob("chromium-profile-*"))
        assert processes_using(profile)  # the browser is running while we use it...
    assert not processes_using(profile)  # ...and gone when the test is done


def test_without_javascript_every_row_shows_and_a_note_says_so(tmp_path):
    from selenium.webdriver.common.by import By

    page = _page(tmp_path, drift_report(12))
    with headless_chromium(tmp_path) as driver:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(page.as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#customers tbody tr")
        assert len(rows) == 12 and all(r.is_displayed() for r in rows)
        assert not driver.find_element(By.ID, "controls").is_displayed()  # controls need JavaScript
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "JavaScript is off: the table shows every customer" in body
        assert "The same change on 4 customers" in body


def test_a_report_without_history_or_extras_still_renders(tmp_path):
    from selenium.webdriver.common.by import By

    report = drift_report(3, history=False)
    for row in report["stacks"]:
        row.pop("capacity")
    report.pop("standards")
    page = _page(tmp_path, report)
    with headless_chromium(tmp_path) as driver:
        driver.get(page.as_uri())
        heads = [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#customers thead th")]
        assert "capacity" not in heads and "alignment" not in heads
        assert "No earlier run to compare with" in driver.find_element(By.TAG_NAME, "body").text
