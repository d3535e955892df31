"""The report in a real headless Chromium, offline: every network request is blocked and counted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lineage.report import write_report
from tests.test_report import TUTORIAL_RUNS, build_tutorial_store, bulk_store

SHOTS = Path("/tmp/report-shots")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def offline_page(browser):
    """A page whose every non-file request is aborted and recorded (the list must stay empty)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.attempted = []
    page.errors = []

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            page.attempted.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def test_report_in_chromium_offline(tmp_path, offline_page):
    page = offline_page
    store = build_tutorial_store(tmp_path / "store")
    index = write_report(store, tmp_path / "report")

    page.goto(index.as_uri())
    assert page.title().startswith("Runs and artifacts")
    assert page.locator("main table").count() == len(TUTORIAL_RUNS) + 2  # a table per job type and artifact type

    page.click("main a[href='graph.html']")
    page.wait_for_url("**/graph.html*")
    types = page.locator("#view-types g.node")
    assert page.locator("#view-types").is_visible() and not page.locator("#view-explode").is_visible()
    assert types.count() == 7
    page.screenshot(path=str(tmp_path / "graph-types.png"), full_page=True)

    page.click("#explode")
    assert page.locator("#view-explode").is_visible() and not page.locator("#view-types").is_visible()
    assert page.locator("#explode").inner_text() == "Collapse"
    nodes = page.locator("#view-explode g.node")
    assert nodes.count() == 9
    assert page.locator("#view-explode g.edge").count() == 9
    labels = sorted(nodes.locator("text").all_text_contents())
    assert [label.split(":")[0] for label in labels].count("dataset") == 2
    box = nodes.first.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10  # drawn, not just in the DOM
    shot = tmp_path / "graph-explode.png"
    page.screenshot(path=str(shot), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "graph-types.png", SHOTS / "graph-types.png")
    shutil.copy(shot, SHOTS / "graph-explode.png")

    # follow the train run's node in the exploded graph to its page: its chart is drawn
    train = next(r for r in store.runs() if r.job_type == "train")
    page.click(f"#view-explode a[href='runs/{train.id}.html']")
    page.wait_for_url(f"**/runs/{train.id}.html")
    chart = page.locator("figure.chart svg")
    assert chart.count() == 1
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert chart.locator("path").count() > 10
    page.screenshot(path=str(SHOTS / "run-train.png"), full_page=True)

    # the report run's page shows the logged image grid, decoded
    report = next(r for r in store.runs() if r.job_type == "report")
    page.goto((index.parent / "runs" / f"{report.id}.html").as_uri())
    images = page.locator(".images img")
    assert images.count() == 3
    page.wait_for_function("[...document.querySelectorAll('.images img')].every(img => img.complete)")
    sizes = images.evaluate_all("imgs => imgs.map(img => [img.alt, img.naturalWidth, img.naturalHeight])")
    assert sorted(sizes) == [["3,8", 28, 28], ["32 hardest examples", 112, 56], ["7,1", 28, 28]]
    page.screenshot(path=str(SHOTS / "run-report.png"), full_page=True)

    # a report opened on a ref starts exploded, on that ref's lineage
    ref_index = write_report(store, tmp_path / "ref-report", ref="trained-model:best")
    page.goto((ref_index.parent / "graph.html").as_uri())
    assert page.locator("#view-explode").is_visible()
    assert page.locator("#view-explode g.node").count() == 9  # everything is in trained-model's ancestry
    page.click("#explode")
    assert page.locator("#view-types").is_visible()

    assert page.attempted == [], f"pages tried to reach the network: {page.attempted}"
    assert page.errors == [], f"script errors: {page.errors}"


def test_a_big_graph_opens_scrolled_to_its_focus(tmp_path, offline_page):
    page = offline_page
    store = bulk_store(tmp_path / "store", chains=1, length=150)  # a 300-node chain, far wider than the page
    index = write_report(store, tmp_path / "report", ref="model-0:v140")
    page.goto((index.parent / "graph.html").as_uri())
    canvas = page.locator("#view-explode .canvas").bounding_box()
    focus = page.locator("#view-explode g.focus")
    assert focus.count() == 1 and focus.locator("text").text_content() == "model:model-0:v140"
    box = focus.bounding_box()
    assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
    assert canvas["y"] <= box["y"] and box["y"] + box["height"] <= canvas["y"] + canvas["height"]
    assert page.evaluate("document.querySelector('#view-explode .canvas').scrollLeft") > 1000
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=str(SHOTS / "graph-focus.png"))
    assert page.attempted == [] and page.errors == []
