"""The live page, a buyer's product page and DTM's dashboard in a real browser: Debian's Chromium, driven by Playwright
(`playwright install` cannot download its own browsers here). Every request the pages make
outside this machine is refused and recorded: both must work offline."""

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
DEADLINE_MS = 30_000  # the crashed purchase's order comes with DTM's back-query, 3-6 s after it


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no {CHROMIUM}: apt-get install -y chromium (make test does it as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def offline_page(browser):
    """A page that may only reach loopback; .outside lists whatever it tried beyond it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.outside = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            return route.continue_()
        page.outside.append(route.request.url)
        return route.abort()

    page.route("**/*", only_loopback)
    yield page
    page.close()


def screenshot(page, config, name):
    path = Path(config.run_dir) / "browser" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


def site(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_batch_and_a_sell_out_on_the_live_page(offline_page, config, new_product):
    page, product_id = offline_page, new_product(4)
    page.goto(f"{site(config.busi_url)}/")
    page.fill("#product", str(product_id))
    row = page.locator(f"#product-{product_id}")
    expect(row.locator(".stock")).to_have_text("4")

    page.click("#batch")
    expect(row.locator(".orders")).to_have_text("3", timeout=DEADLINE_MS)
    expect(row.locator(".in-flight")).to_have_text("1")  # the crashed purchase's unit
    expect(row.locator(".orders")).to_have_text("4", timeout=DEADLINE_MS)
    expect(row.locator(".in-flight")).to_have_text("0")
    drills = page.locator("#transactions tbody tr").filter(has=page.locator(".crash-drill"))
    drill = drills.filter(has_text=f"{{p{product_id}}}-crash-")  # the purchase, not its order's payment or expiry
    expect(drill.locator(".crash-drill")).to_have_text("purchase, crash drill")
    expect(drill.locator(".status")).to_have_text("succeed", timeout=DEADLINE_MS)
    expect(page.locator("#log")).to_contain_text("every unit deducted became exactly one order", timeout=DEADLINE_MS)
    screenshot(page, config, "live-page.png")

    page.fill("#units", "2")
    page.click("#reset")
    expect(row.locator(".stock")).to_have_text("2")
    for _ in range(3):  # two units, then one buyer too many
        page.click("#buy")
    expect(row.locator(".stock")).to_have_text("0")
    expect(page.locator("#log")).to_contain_text("buy: 409")
    expect(row.locator(".orders")).to_have_text("2", timeout=DEADLINE_MS)
    assert page.outside == []


def test_the_product_page_counts_down_live(offline_page, config, busi, new_product):
    """The counter follows the stock stream: a purchase made elsewhere (this test's, over HTTP)
    lowers it without a reload; then the page's own button buys, as a new anonymous buyer."""
    page, product_id = offline_page, new_product(3)
    page.goto(f"{site(config.busi_url)}/products/{product_id}")
    expect(page.locator("#stock")).to_have_text("3")
    expect(page.locator("#status")).to_have_text("live")
    assert busi.purchase(7, product_id).status_code == 200
    expect(page.locator("#stock")).to_have_text("2")
    page.click("#buy")
    expect(page.locator("#result")).to_contain_text("Bought!")
    expect(page.locator("#stock")).to_have_text("1")
    screenshot(page, config, "product-page.png")
    page.click("#buy")  # as the same buyer now, with the credential the first purchase answered
    expect(page.locator("#stock")).to_have_text("0")
    expect(page.locator("#buy")).to_be_disabled()
    assert page.outside == []


def test_dtm_dashboard_offline(offline_page, config, new_product):
    page = offline_page
    page.goto(f"{site(config.dtm_url)}/")
    expect(page.get_by_text("Global Transactions").first).to_be_visible(timeout=DEADLINE_MS)
    expect(page.get_by_text("All Transactions").first).to_be_visible()
    expect(page.get_by_text("admin version")).to_have_count(0)  # built for this server's version
    screenshot(page, config, "dtm-dashboard.png")
    assert page.outside == []
