"""`doorman demo --short` end to end, its printed table against the scenes' ground truth, and
its HTML report rendered by a real headless Chromium."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from localcloud.demo import ENROLLEES, expected_from_truth, print_result, run_demo

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    result = run_demo(
        short=True,
        report_dir=work / "demo-report",
        work_dir=work / "work",
        out=Console(file=io.StringIO(), width=200),
    )
    printed = io.StringIO()
    print_result(result, Console(file=printed, width=200, color_system=None))
    truths = {
        path.parent.name: json.loads(path.read_text())
        for path in (work / "work" / "scenes").glob("*/*.json")
    }
    return result, printed.getvalue(), truths


def _table_rows(printed: str) -> list[list[str]]:
    """The cells of the "What Doorman saw" table, as printed."""
    section = printed.split("What Doorman saw", 1)[1].split("Rule and reason per event", 1)[0]
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in section.splitlines()
        if line.startswith("│")
    ]


def test_printed_table_matches_the_ground_truth(demo):
    result, printed, truths = demo
    expected = expected_from_truth(truths)
    assert set(truths) == {"front-door", "garden", "street"}
    rows = _table_rows(printed)
    seen: dict[str, set[str]] = {camera: set() for camera in truths}
    for camera, _time, who, watchlist, _sim, severity, _alert in rows:
        if who.startswith("stranger "):  # a remembered stranger: "stranger acf8"
            who = "stranger"
        if who not in {"no face"} and not who.startswith("motion"):
            seen[camera].add(who)
        for enrollee in ENROLLEES:
            if who == enrollee.name:
                assert watchlist == enrollee.watchlist
        if watchlist == "barred":
            assert severity == "critical"
    assert seen == expected.who
    assert expected.who["front-door"] == {"Grace Hopper"}
    assert expected.who["garden"] == {"Eileen Collins", "stranger"}
    assert expected.who["street"] == set()
    # Grace is known: recorded, never alerted. The barred visit alerted.
    assert all(r[6] == "no" for r in rows if r[0] in {"front-door", "street"})
    assert any(r[6] == "yes" for r in rows if r[0] == "garden" and r[2] == "Eileen Collins")
    # Every garden frame alerts, unless the cooldown already covers everyone in it.
    assert {r[6] for r in rows if r[0] == "garden"} <= {"yes", "cooldown"}
    assert "Matches the ground truth" in printed
    assert result.problems == []
    # Every event says which rule decided it and why its unknown faces were not named.
    reasons = printed.split("Rule and reason per event", 1)[1].split("Emails sent", 1)[0]
    assert "barred people, always" in reasons
    assert reasons.count("│ garden") >= 1 and "none (none)" in reasons  # Grace: no rule
    assert any(
        text in reasons for text in ("a clear face that matches nobody", "too small", "turned")
    )


def test_emails_went_to_owner_and_authorities_for_the_barred_person(demo):
    result, printed, _ = demo
    # One email per alert the events say was sent, and none about the known person.
    assert len(result.emails) == sum(e.alerted for e in result.events) >= 1
    assert not [m for m in result.emails if "Grace Hopper" in m["subject"]]
    critical = [m for m in result.emails if "critical" in m["subject"].lower()]
    # One barred visit, one critical email: the garden's other frame is within the cooldown.
    assert len(critical) == 1
    assert "Eileen Collins at garden" in critical[0]["subject"]
    for message in critical:
        to = message["destinations"]
        everyone = [
            *to.get("ToAddresses", []),
            *to.get("CcAddresses", []),
            *to.get("BccAddresses", []),
        ]
        assert {"owner@example.com", "police@example.com"} <= set(everyone)
    assert re.search(r"Eileen Collins at garden.*owner@example\.com", printed)


@pytest.mark.browser
def test_report_renders_in_chromium_with_a_working_person_filter(demo, tmp_path):
    from playwright.sync_api import sync_playwright

    result, _, _ = demo
    events = result.events
    with_eileen = sum("eileen-collins" in e.people for e in events)
    with_stranger = sum("unknown" in e.people for e in events)
    assert with_eileen >= 1 and with_stranger >= 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(result.report.resolve().as_uri())
            cards = page.locator("article.event")
            assert cards.count() == len(events)
            assert page.locator("article.event:visible").count() == len(events)
            # Every stored frame became a thumbnail that the browser actually decoded.
            thumbs = page.locator("article.event img")
            assert thumbs.count() == sum(1 for e in events if e.image_key)
            widths = thumbs.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
            assert all(w > 0 for w in widths)
            assert page.locator("svg.chart rect.bar").count() >= 12
            assert "Eileen Collins" in page.locator("#counts").inner_text()

            page.select_option("#f-person", "eileen-collins")
            assert page.locator("article.event:visible").count() == with_eileen
            assert page.locator("#shown").inner_text() == f"{with_eileen} shown"
            page.select_option("#f-person", "unknown")
            assert page.locator("article.event:visible").count() == with_stranger
            page.select_option("#f-person", "")
            page.select_option("#f-camera", "street")
            street = sum(e.camera_id == "street" for e in events)
            assert page.locator("article.event:visible").count() == street
            page.select_option("#f-camera", "")
            page.select_option("#f-severity", "critical")
            critical = sum(e.severity == "critical" for e in events)
            assert page.locator("article.event:visible").count() == critical
            page.select_option("#f-severity", "")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
