"""GET /api/busi/live, the live page's data, against the running service and DTM."""

import requests

from busi.config import API_PREFIX
from tests.conftest import wait_until

RECOVERY_DEADLINE_S = 15


def live(busi, product_id):
    answer = busi.get("live", product_id=product_id)
    assert answer.status_code == 200, answer.text
    return answer.json()


def product_row(state, product_id):
    [row] = [p for p in state["products"] if p["id"] == product_id]
    return row


def test_a_crashed_unit_is_in_flight_until_its_order_exists(busi, new_product):
    product = new_product(3)
    assert busi.crash_purchase(user_id=5, product_id=product) is None
    row = product_row(live(busi, product), product)
    assert (row["stock"], row["in_flight"]) == (2, 1)  # deducted; nobody submitted, no order yet

    assert wait_until(
        lambda: product_row(live(busi, product), product)["orders"] == {"created": 1}, RECOVERY_DEADLINE_S
    )
    assert product_row(live(busi, product), product)["in_flight"] == 0
    drills = [t for t in live(busi, product)["transactions"] if t["crash_drill"]]
    [drill] = [t for t in drills if t["gid"].startswith(f"{{p{product}}}-")]  # other tests' drills are listed too
    assert drill["gid"].startswith(f"{{p{product}}}-crash-") and drill["kind"] == "purchase"
    assert wait_until(
        lambda: [t for t in live(busi, product)["transactions"] if t["gid"] == drill["gid"]][0]["status"] == "succeed",
        10,
    )
    assert requests.get(drill["dashboard"], timeout=5).status_code == 200  # DTM's own page for it


def test_a_sold_out_purchase_is_not_in_flight_and_a_reset_forgets_the_sale(busi, new_product):
    product = new_product(1)
    assert [busi.purchase(u, product).status_code for u in (1, 2)] == [200, 409]
    state = live(busi, product)
    assert product_row(state, product)["in_flight"] == 0
    assert any(t["gid"].startswith(f"{{p{product}}}-") for t in state["transactions"])
    busi.reset(5, product)
    state = live(busi, product)
    assert product_row(state, product) == {"id": product, "stock": 5, "orders": {}, "units": {}, "in_flight": 0}
    assert not any(t["kind"] == "purchase" and t["gid"].startswith(f"{{p{product}}}-") for t in state["transactions"])


def test_the_page_and_its_assets_are_served_by_the_service(config):
    site = config.busi_url.removesuffix(API_PREFIX)
    assert "Flash sale, live" in requests.get(f"{site}/", timeout=5).text
    chart = requests.get(f"{site}/live/chart.umd.min.js", timeout=5)
    assert chart.status_code == 200 and "Chart" in chart.text
    missing = requests.get(f"{site}/live/package.json", timeout=5)
    assert missing.status_code == 404 and "no asset" in missing.json()["error"]
