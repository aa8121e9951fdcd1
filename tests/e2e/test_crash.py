"""A purchase whose worker really dies after the deduction, and DTM's recovery of it."""

from concurrent.futures import ThreadPoolExecutor

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


def test_a_crash_takes_down_only_its_own_purchase(busi, config, new_product):
    """Sync workers: the crash kills one process; purchases in flight on others all answer."""
    product = new_product(20)
    crashes = worker_crashes(config)
    with ThreadPoolExecutor(max_workers=2) as pool:
        crashed = pool.submit(busi.crash_purchase, 1, product)
        answers = pool.submit(busi.purchase_many, list(range(2, 12)), product)
        assert crashed.result() is None
        assert [r.status_code for r in answers.result()] == [200] * 10
    assert wait_until(lambda: worker_crashes(config) > crashes, 5)
    assert busi.get("health").status_code == 200
    assert wait_until(lambda: busi.order_count(product) == 11, RECOVERY_DEADLINE_S)
    assert busi.stock(product) == 9


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
