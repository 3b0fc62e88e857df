"""The web builder in a real, headless Chromium (Debian's, driven by Playwright) against the real server on
the demo store: ask, read back, edit the tree and the DSL, see the count follow, save, reload, open a version
and its diff, export; every node kind created and edited through the page, and the saved segment's members
equal to the same DSL compiled and run directly on DuckDB. The page may not reach anything but its server:
every request that leaves it fails the test. Screenshots go to test-artifacts/ (ignored by git)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from assistant.data.demo_store import write_demo_store
from assistant.data.preview import Database, member_ids
from assistant.segments import templates
from grammar.compile import compile_segment
from grammar.format import format_segment
from grammar.parser import parse
from tests.live_server import live_server

pytestmark = pytest.mark.slow  # a real browser: seconds per test
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT = 30_000  # ms; the machine is shared


def _missing(what: str):
    """Locally a missing browser skips; in CI (CI set) it fails: the browser tests must run there."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI (bash .ci/run installs it)")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (the test extra)")
    chromium = shutil.which("chromium")
    if chromium is None:
        _missing("chromium (Debian's package)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """The demo store as `serve` finds it on the embedded default (2,000 contacts here): tagged with its
    as-of instant, so the page, which sends no as-of, previews at 2026-11-01 like the direct runs below."""
    path = tmp_path_factory.mktemp("builder") / "demo.duckdb"
    write_demo_store(path, contacts=2000, seed=7)
    return str(path)


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    store = tmp_path_factory.mktemp("builder") / "segments.db"
    with live_server(create_app(db=demo_db, store=store), "builder") as url:
        yield url


@contextmanager
def opened(browser, server: str, console_errors: bool = True):
    """A page of `server` that may talk to nothing else: any other request is aborted and fails the test, as
    do script errors (and console errors, unless the test expects some)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    outside, errors = [], []
    home = urlsplit(server).netloc

    def gate(route):
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == home:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", gate)
    p = context.new_page()
    p.on("pageerror", lambda e: errors.append(str(e)))
    if console_errors:
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.set_default_timeout(TIMEOUT)
    p.goto(server + "/")
    yield p
    context.close()
    assert outside == [], f"the page tried to reach outside its server: {outside}"
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture()
def page(browser, server):
    with opened(browser, server) as p:
        p.wait_for_selector("body[data-ready=true]")
        yield p


def members(demo_db, catalog, as_of, dsl: str) -> set[int]:
    segments = {name: t.condition for name, t in templates().items()}
    return member_ids(Database(demo_db), compile_segment(parse(dsl), catalog, "duckdb", as_of, segments))


def canonical(dsl: str) -> str:
    return format_segment(parse(dsl))


def at(path: str) -> str:
    return f'[data-path="{path}"]'


def wait_for(page, dsl: str, count: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#dsl")).to_have_value(canonical(dsl), timeout=TIMEOUT)
    expect(page.locator("#count")).to_have_attribute("data-count", str(count), timeout=TIMEOUT)


def tool(page, node: str, title: str) -> None:
    """Press one of a node's own buttons (its head comes before any child's)."""
    page.locator(f'[data-node="{node}"] button[aria-label="{title}"]').first.click()


def test_ask_edit_save_reload_diff_export(page, server, demo_db, catalog, as_of):
    from playwright.sync_api import expect

    # ask, and see the read-back and the count
    page.fill("#request", "customers who bought 3+ times in the last 90 days")
    page.click("#ask-button")
    first = "did order_completed at least 3 times in last 90 days"
    wait_for(page, first, len(members(demo_db, catalog, as_of, first)))
    expect(page.locator("#status")).to_have_text("Complete")
    expect(page.locator("#explanation")).to_contain_text("at least 3 times in the last 90 days")
    expect(page.locator("#history li")).to_have_count(1)
    found = members(demo_db, catalog, as_of, first)
    expect(page.locator("#count")).to_have_text(f"{len(found)} of 2,000 contacts ({len(found) / 20:.1f}%)")
    expect(page.locator("#stats tr")).to_have_count(len(catalog.stats))
    expect(page.locator("#sample tr")).to_have_count(min(10, len(found)) + 1)  # with its header
    assert {int(i) for i in page.locator("#sample tr td:first-child").all_text_contents()} <= found

    # change a number in the tree: the count follows
    page.fill(at("/count/n"), "2")
    two = "did order_completed at least 2 times in last 90 days"
    assert len(members(demo_db, catalog, as_of, two)) != len(members(demo_db, catalog, as_of, first))
    wait_for(page, two, len(members(demo_db, catalog, as_of, two)))

    # add a condition next to it, then nest an `or` inside
    page.select_option('[data-new="/root"]', "trait")
    page.click('[data-add="/root"]')
    page.fill(at("/conditions/1/value"), "DE")
    tool(page, "/conditions/1", "nest in or (add an alternative)")
    page.select_option(at("/conditions/1/conditions/1/event/name"), "email_opened")
    nested = 'did order_completed at least 2 times in last 90 days and (country = "DE" or did email_opened in last 30 days)'
    wait_for(page, nested, len(members(demo_db, catalog, as_of, nested)))

    # save two versions
    page.fill("#name", "loyal")
    page.fill("#note", "first cut")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("saved loyal v1")
    page.fill(at("/conditions/0/window/amount"), "120")
    second = nested.replace("in last 90 days", "in last 120 days")
    wait_for(page, second, len(members(demo_db, catalog, as_of, second)))
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("saved loyal v2")

    # reload: the page reopens the segment; open v1, then the diff v1 -> v2
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#versions li")).to_have_count(2)
    wait_for(page, second, len(members(demo_db, catalog, as_of, second)))
    page.click("text=open v1")
    wait_for(page, nested, len(members(demo_db, catalog, as_of, nested)))
    page.click("text=diff v1 → v2")
    old, new = members(demo_db, catalog, as_of, nested), members(demo_db, catalog, as_of, second)
    assert new - old and not old - new
    expect(page.locator("#diff .diff-members")).to_contain_text(f"{len(new - old)} enter, {len(old - new)} leave")
    expect(page.locator("#diff .minus")).to_contain_text(["in last 90 days"])
    expect(page.locator("#diff .plus")).to_contain_text(["in last 120 days"])
    expect(page.locator("#status")).to_have_text("loyal v1")

    # export the saved segment (its newest version)
    with page.expect_download() as download:
        page.click("#export")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert download.value.suggested_filename == "loyal.csv"
    assert {int(r["contact_id"]) for r in rows} == new and all("***@" in r["email"] for r in rows)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "builder.png"), full_page=True)


def test_partial_answer_is_unfinished_with_its_question(page):
    from playwright.sync_api import expect

    page.fill("#request", "spent over 700 in total but have bought nothing from the outlet in the last 5 months")
    page.focus("#request")
    page.keyboard.press("Control+Enter")  # asks from the keyboard
    expect(page.locator("#status")).to_contain_text("Unfinished")
    expect(page.locator("#open-points .open-point")).to_contain_text(["'outlet'"])
    expect(page.locator("#open-points .question")).not_to_be_empty()
    expect(page.locator("#history .answer.partial")).to_have_count(1)


def test_dsl_edits_sync_the_tree_and_errors_are_positioned(page, demo_db, catalog, as_of):
    from playwright.sync_api import expect

    page.fill("#dsl", "did purchase in last 3 days")
    expect(page.locator("#dsl-errors li.error")).to_have_text(
        ["error: line 1, column 5: unknown event 'purchase' (did you mean order_completed?) show"])
    expect(page.locator('[data-node="/"] .node-error')).to_contain_text("unknown event 'purchase'")
    page.click("#dsl-errors button")  # selects the wrong words in the text
    assert page.evaluate("[document.activeElement.id, document.activeElement.selectionStart]") == ["dsl", 4]

    text = 'plan = "trial" and did feature_used where (feature = "reports") in last 14 days'
    page.fill("#dsl", text)
    wait_for(page, text, len(members(demo_db, catalog, as_of, text)))
    assert page.input_value(at("/conditions/1/event/where/value")) == "reports"
    expect(page.locator("#dsl-errors li")).to_have_count(0)

    # a tree edit the schema refuses is shown on its node: 'in' with no values
    page.select_option(at("/conditions/0/op"), "in")
    page.fill(at("/conditions/0/value"), "")
    expect(page.locator('[data-node="/conditions/0"] .node-error')).to_contain_text("non-empty list")
    expect(page.locator("#count")).to_have_text("fix the errors to see who matches")
    page.fill(at("/conditions/0/value"), "trial, pro")
    both = text.replace('plan = "trial"', 'plan in ["trial", "pro"]')
    wait_for(page, both, len(members(demo_db, catalog, as_of, both)))

    # SQL in another dialect
    page.select_option("#dialect", "snowflake")
    want = compile_segment(parse(both), catalog, "snowflake", as_of)
    expect(page.locator("#sql")).to_have_text(want)


def test_every_control_has_a_name(page):
    page.fill("#dsl", 'did cart_added in last 7 days then did not order_completed within 1 day '
                      'and top 10% by total amount of order_completed')
    page.wait_for_selector('[data-node="/conditions/1"]')
    unnamed = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.outerHTML)""")
    assert unnamed == []


# Every node kind of the language, created from the empty page and edited through its controls.
# (kind to create, edits: ("select" | "fill", data-path, value) or ("add", data-add path) or
#  ("tool", node path, button label), the DSL the page must end with)
NODE_KINDS = [
    ("trait", [("select", "/op", "in"), ("fill", "/value", "DE, FR")], 'country in ["DE", "FR"]'),
    ("trait", [("select", "/trait", "email_consent"), ("select", "/value", "false")], "email_consent = false"),
    ("trait_time", [("fill", "/window/amount", "90")], "signup_at in last 90 days"),
    ("trait_time", [("select", "/window/kind", "between_dates"), ("fill", "/window/start", "2026-01-01"),
                    ("fill", "/window/end", "2026-03-31")], "signup_at between 2026-01-01 and 2026-03-31"),
    ("trait_time", [("select", "/window/kind", "before"), ("fill", "/window/at", "2025-01-01")],
     "signup_at before 2025-01-01"),
    ("trait_time", [("select", "/trait", "birthday"), ("select", "/window/kind", "in_next")], "birthday in next 7 days"),
    ("anniversary", [("fill", "/amount", "30")], "birthday anniversary in next 30 days"),
    ("did", [("select", "/event/name", "email_clicked"), ("add", "/event/where"),
             ("select", "/event/where/property", "url"), ("select", "/event/where/op", "contains"),
             ("fill", "/event/where/value", "pricing"), ("add", "/count"), ("select", "/count/op", "between"),
             ("fill", "/count/m", "5"), ("fill", "/window/amount", "365")],
     'did email_clicked where (url contains "pricing") between 1 and 5 times in last 365 days'),
    ("did", [("add", "/event/where"), ("select", "/event/where/property", "product_category"),
             ("fill", "/event/where/value", "shoes"), ("tool", "/event/where", "nest in or (add an alternative)"),
             ("select", "/event/where/conditions/1/property", "channel"),
             ("tool", "/event/where/conditions/1", "negate (nest in not)"),
             ("select", "/window/kind", "calendar"), ("select", "/window/period", "quarter")],
     'did order_completed where (product_category = "shoes" or not channel = "web") in previous quarter'),
    ("did", [("select", "/window/kind", "anchored"), ("fill", "/window/amount", "30")],
     "did order_completed within 30 days after signup_at"),
    ("did", [("select", "/window/kind", "named"), ("select", "/window/name", "black_friday"), ("fill", "/window/year", "2025")],
     "did order_completed on black friday of 2025"),
    ("did", [("select", "/window/kind", "after"), ("fill", "/window/at", "2026-10-01T12:00")],
     "did order_completed after 2026-10-01T12:00"),
    ("did", [("select", "/event/name", "feature_used"), ("select", "/window/kind", "on_date"),
             ("fill", "/window/day", "2026-10-30"), ("add", "/event/where"), ("select", "/event/where/kind", "filter_and"),
             ("fill", "/event/where/conditions/0/value", "reports"), ("select", "/event/where/conditions/1/property", "channel"),
             ("select", "/event/where/conditions/1/op", "is_set")],
     'did feature_used where (feature = "reports" and channel is set) on 2026-10-30'),
    ("not", [("select", "/condition/event/name", "app_opened"), ("fill", "/condition/window/amount", "60")],
     "did not app_opened in last 60 days"),
    ("sequence", [("add", "/steps"), ("select", "/steps/1/event/name", "checkout_started"),
                  ("fill", "/steps/1/within/amount", "2"), ("tool", "/steps/1", "move up"),
                  ("fill", "/window/amount", "90")],
     "did cart_added in last 90 days then did checkout_started within 2 days then did not order_completed within 1 day"),
    ("aggregate", [("select", "/func", "average"), ("fill", "/value", "80"), ("add", "/window"),
                   ("fill", "/window/amount", "365")], "average amount of order_completed in last 365 days > 80"),
    ("aggregate", [("select", "/func", "count_distinct"), ("select", "/property", "product_category"),
                   ("select", "/op", ">="), ("fill", "/value", "3")],
     "count distinct product_category of order_completed >= 3"),
    ("share", [("select", "/op", ">="), ("fill", "/value", "60")],
     "share of order_completed where (discounted = true) >= 60%"),
    ("occurrence", [("select", "/which", "first"), ("select", "/window/kind", "in_last"), ("fill", "/window/amount", "90")],
     "first order_completed in last 90 days"),
    ("occurrence", [("select", "/window/kind", "between_ago")], "last order_completed between 60 and 120 days ago"),
    ("regular", [("fill", "/min_periods", "2")], "did order_completed in at least 2 of last 4 months"),
    ("stopped", [("select", "/event/name", "app_opened"), ("fill", "/duration/amount", "45")],
     "stopped app_opened for 45 days"),
    ("stopped", [("select", "/kind", "not"), ("select", "/condition/kind", "restarted")],  # a kind change keeps the event
     "not restarted order_completed after 60 days"),
    ("restarted", [("select", "/event/name", "app_opened"), ("fill", "/gap/amount", "30"), ("add", "/window")],
     "restarted app_opened after 30 days in last 30 days"),
    ("rank", [("fill", "/amount", "25"), ("select", "/measure/func", "count")], "top 25% by count of order_completed"),
    ("rank", [("select", "/direction", "bottom"), ("uncheck", "/percent"), ("fill", "/amount", "50"),
              ("add", "/measure/window")], "bottom 50 by total amount of order_completed in last 30 days"),
    ("segment", [("select", "/name", "vips")], 'in segment "vips"'),
    ("and", [("tool", "/conditions/0", "move down"), ("fill", "/conditions/0/value", "DE")],
     'country = "DE" and did order_completed in last 30 days'),
    ("or", [("select", '/conditions-new', "segment"), ("add", "/conditions"), ("select", "/conditions/2/name", "ghosts"),
            ("tool", "/conditions/2", "negate (nest in not)"), ("tool", "/conditions/0", "nest in and (add a condition next to it)"),
            ("select", "/conditions/0/conditions/1/kind", "trait"), ("tool", "/conditions/1", "remove")],
     'did order_completed in last 30 days and country = "US" or not in segment "ghosts"'),
]


@pytest.mark.parametrize("kind, edits, dsl", NODE_KINDS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(NODE_KINDS)])
def test_every_node_kind_through_the_page(page, server, demo_db, catalog, as_of, kind, edits, dsl):
    page.select_option('[data-new="/"]', kind)
    page.click('[data-add="/"]')
    for edit in edits:
        action, where = edit[0], edit[1]
        if action == "select" and where.endswith("-new"):
            page.select_option(f'[data-new="{where[:-4]}"]', edit[2])
        elif action == "select":
            page.select_option(at(where), edit[2])
        elif action == "fill":
            page.fill(at(where), edit[2])
        elif action == "uncheck":
            page.uncheck(at(where))
        elif action == "add":
            page.click(f'[data-add="{where}"]')
        else:
            tool(page, where, edit[2])
    want = members(demo_db, catalog, as_of, dsl)
    wait_for(page, dsl, len(want))
    name = f"node_{NODE_KINDS.index((kind, edits, dsl))}"
    page.fill("#name", name)
    page.click("#save")
    page.wait_for_selector(f"text=saved {name} v1")
    with httpx.Client(base_url=server, timeout=60) as api:
        saved = api.get(f"/v1/segments/{name}").json()["versions"][-1]
        exported = api.get(f"/v1/segments/{name}/export", params={"format": "csv"}).text
    assert saved["dsl"] == canonical(dsl)
    assert {int(r["contact_id"]) for r in csv.DictReader(io.StringIO(exported))} == want


def test_keyboard_edits_keep_focus_and_refine_asks_about_the_current_segment(page, demo_db, catalog, as_of):
    from playwright.sync_api import expect

    page.fill("#request", "placed an order in the last 30 days")
    page.click("#ask-button")
    start = "did order_completed in last 30 days"
    wait_for(page, start, len(members(demo_db, catalog, as_of, start)))
    # arrow keys on a focused control: the tree is redrawn, the focus stays on the same control
    page.focus(at("/window/amount"))
    page.keyboard.press("ArrowUp")
    longer = "did order_completed in last 31 days"
    wait_for(page, longer, len(members(demo_db, catalog, as_of, longer)))
    page.focus(at("/window/unit"))
    page.keyboard.press("ArrowDown")  # day -> week
    weeks = "did order_completed in last 31 weeks"
    wait_for(page, weeks, len(members(demo_db, catalog, as_of, weeks)))
    assert page.evaluate("document.activeElement.dataset.path") == "/window/unit"
    # a follow-up request refines what is on screen, edits included
    page.fill("#request", "only those in Germany")
    page.click("#ask-button")
    refined = 'did order_completed in last 31 weeks and country = "DE"'
    wait_for(page, refined, len(members(demo_db, catalog, as_of, refined)))
    expect(page.locator("#history li")).to_have_count(2)
    # removing a member of a group of two leaves the other, and the keyboard stays in the tree
    tool(page, "/conditions/1", "remove")
    wait_for(page, weeks, len(members(demo_db, catalog, as_of, weeks)))
    assert page.evaluate("document.activeElement.dataset.path") == "/kind"
    page.click("#clear-history")
    expect(page.locator("#history li")).to_have_count(0)


def test_with_an_api_key_the_page_asks_for_it_once(browser, demo_db, catalog, as_of, tmp_path):
    from playwright.sync_api import expect

    app = create_app(db=demo_db, store=tmp_path / "k.db", settings=Settings(api_key="s3cret"))
    with live_server(app, "builder with a key") as url, opened(browser, url, console_errors=False) as p:
        expect(p.locator("#key-box")).to_be_visible()  # the page loaded; the API said 401
        p.fill("#api-key", "s3cret")
        p.keyboard.press("Enter")
        p.wait_for_selector("body[data-ready=true]")
        p.fill("#dsl", 'country = "JP"')
        expect(p.locator("#count")).to_have_attribute("data-count", str(len(members(demo_db, catalog, as_of, 'country = "JP"'))))


def test_the_gate_catches_a_request_that_leaves_the_server(browser, server):
    with pytest.raises(AssertionError, match="outside its server: \\['http://example.invalid/'\\]"):
        with opened(browser, server, console_errors=False) as p:
            with pytest.raises(Exception, match="ERR_FAILED"):
                p.goto("http://example.invalid/")
