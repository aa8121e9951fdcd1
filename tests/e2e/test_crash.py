"""A purchase whose worker really dies after the deduction, and DTM's recovery of it."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from busi.domain.crash_points import CRASH_EXIT_CODE
from crash_sim.toxiproxy import REPLIES, Toxic
from tests.conftest import wait_until
from tests.e2e.conftest import instance_dirs, worker_crashes

RECOVERY_DEADLINE_S = 15


def test_the_crashed_purchase_gets_exactly_one_order(busi, config, dtm, new_product):
    product = new_product(3)
    crashes = worker_crashes(config)
    assert busi.crash_purchase(user_id=5, product_id=product) is None  # the connection dropped
    assert wait_until(lambda: worker_crashes(config) > crashes, 5)
    assert busi.stock(product) == 2  # deducted, though nobody submitted

    assert wait_until(lambda: busi.order_count(product) >= 1, RECOVERY_DEADLINE_S), "DTM did not recover it"
    [order] = busi.get("orders", product_id=product).json()["latest"]
    assert order["user_id"] == 5
    assert wait_until(lambda: dtm.query(order["gid"])["transaction"]["status"] == "succeed", 5)
    assert busi.order_count(product) == 1  # exactly once, after DTM finished with it


def test_a_crash_takes_down_only_its_own_purchase(apart, config, new_product):
    """Sync workers: the crash kills one process; purchases in flight on others all answer.
    DTM's answers are slowed by 600 ms (Toxiproxy), so that each of the six other purchases
    is in flight for over 1.2 s; the crash comes about 800 ms into them, and its time, from
    the service's log, falls inside every one of them."""
    product = new_product(20)
    log = Path(config.run_dir) / "busi-rtt" / "busi.log"
    crashes = log.read_text().count(f"exited with code {CRASH_EXIT_CODE}")

    def timed_purchase(user):
        start = time.time()
        status = apart.purchase(user, product).status_code
        return start, time.time(), status

    with ThreadPoolExecutor(max_workers=8) as pool:  # every worker's connections made: none is slower
        assert {r.status_code for r in pool.map(lambda _: apart.get("health"), range(16))} == {200}
    with Toxic("dtm", "latency", REPLIES, {"latency": 600}, then_s=0).on():
        with ThreadPoolExecutor(max_workers=7) as pool:  # below the 8 workers: none waits for one
            others = [pool.submit(timed_purchase, user) for user in range(2, 8)]
            time.sleep(0.2)  # a schedule: the others are inside prepare now
            crashed = pool.submit(apart.crash_purchase, 1, product)
            assert crashed.result() is None
            spans = [other.result() for other in others]
    assert [status for _, _, status in spans] == [200] * 6
    assert wait_until(lambda: log.read_text().count(f"exited with code {CRASH_EXIT_CODE}") > crashes, 5)
    [crashed_at] = re.findall(rf"^(\S+ \S+) .*crashing on purpose.*gid={{p{product}}}-", log.read_text(), re.M)
    crash = datetime.strptime(crashed_at, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC).timestamp()
    assert all(start < crash < end for start, end, _ in spans), (crash, spans)  # all in flight then
    assert apart.get("health").status_code == 200
    assert wait_until(lambda: apart.order_count(product) == 7, RECOVERY_DEADLINE_S)
    assert apart.stock(product) == 13


def test_workers_dying_together_leave_the_server_up(busi, config, new_product):
    """gunicorn's arbiter hears of each death in a signal handler (child_exit); one that fails
    there stops the whole server, as an import inside it once did with deaths close together."""
    product, arbiters = new_product(10), [(d / "gunicorn.pid").read_text() for d in instance_dirs(config)]
    crashes = worker_crashes(config)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda user: busi.crash_purchase(user, product), range(1, 5))) == [None] * 4
    assert wait_until(lambda: worker_crashes(config) >= crashes + 4, 10)
    assert busi.get("health").status_code == 200
    assert [(d / "gunicorn.pid").read_text() for d in instance_dirs(config)] == arbiters
    assert wait_until(lambda: busi.order_count(product) == 4, RECOVERY_DEADLINE_S)


def test_a_reset_waits_for_the_unit_in_flight_and_no_late_order_enters_the_new_sale(busi, dtm, new_product):
    """The crash's unit is deducted and its order not yet created when the reset comes: the
    reset waits for DTM's back-query to create it, then deletes it with the old sale."""
    product = new_product(3)
    assert busi.crash_purchase(user_id=5, product_id=product) is None
    assert busi.order_count(product) == 0  # in flight
    drills = [t["gid"] for t in busi.get("live", product_id=product).json()["transactions"] if t["crash_drill"]]
    [gid] = [gid for gid in drills if gid.startswith(f"{{p{product}}}-")]

    answer = busi.reset(4, product)
    assert answer["settled_in_flight"] == 1 and answer["waited_s"] > 0, answer
    assert wait_until(lambda: dtm.query(gid)["transaction"]["status"] == "succeed", 5)  # nothing more will come
    assert (busi.stock(product), busi.order_count(product)) == (4, 0)
    assert busi.reset(4, product)["settled_in_flight"] == 0  # nothing left in flight: no wait


def test_a_unit_in_flight_when_the_inventory_is_set_is_counted_once(busi, new_product):
    """Deducted, its order not made yet (the purchase died after the deduction): the set does not
    wait for it, and does not lose it. The ledger moves by the difference, so once DTM's
    back-query has made the order, stock + orders = units added, with nothing sold twice."""
    product = new_product(3)
    assert busi.crash_purchase(user_id=5, product_id=product) is None
    put = busi.session.put(f"{busi.url}/products/{product}/inventory", params={"stock": 10})
    assert put.status_code == 200 and put.json()["stock"] == 10, put.text
    assert wait_until(lambda: busi.order_count(product) == 1, 30)  # the back-query made its order
    shown = busi.get(f"products/{product}").json()
    assert (shown["stock"], shown["units_added"]) == (10, 11)  # 3 + (10 - 2 left when set)


def test_a_deduction_whose_order_was_deleted_is_not_in_flight(busi, dtm, mysql, new_product):
    """An order deleted by a reset from a stack with another Redis (the HA stack shares this
    MySQL): DTM has finished the purchase, so no order can come, and a reset must not wait."""
    product = new_product(2)
    gid = busi.purchase(1, product).json()["gid"]
    assert wait_until(lambda: (dtm.transaction(gid) or {}).get("status") == "succeed", 10)
    with mysql.begin() as conn:
        conn.execute(text("DELETE FROM orders WHERE gid = :gid"), {"gid": gid})
    answer = busi.reset(2, product)
    assert answer["settled_in_flight"] == 0 and answer["waited_s"] < 1, answer
