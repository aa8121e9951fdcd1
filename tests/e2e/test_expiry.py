"""Expiry, a DTM saga that the sweeper starts once an order's payment window has closed: an
unpaid order gives its unit back, a paid one keeps it and costs DTM nothing more, a second
start doubles nothing, neither a crash nor DTM's restart loses one, and a payment racing the
expiry leaves exactly one winner with the money and the units balanced."""

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from busi import create_app
from busi.adapters import orders
from busi.adapters.stock import stock_key
from busi.domain import expiry
from crash_sim import stack
from crash_sim.__main__ import main
from saga import DtmError
from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, wallet, worker_crashes

WINDOW_S = 2
EXPIRY_DEADLINE_S = 30  # the window, then a sweep (every second), then the saga


@pytest.fixture(scope="module")
def svc(config):
    """This process's own clients, as a worker has them, to call the domain's functions."""
    return create_app(config).extensions["busi"]


def sale(busi, new_product, buyers, balance="100.00", window_s=WINDOW_S):
    """A product with a short payment window; each buyer's order gid, once created."""
    product = new_product(len(buyers))
    busi.post(
        "reset", stock=len(buyers), product_id=product, price=str(PRICE), balance=balance, pay_within_s=window_s
    ).raise_for_status()
    gids = [busi.purchase(user, product).json()["gid"] for user in buyers]
    assert wait_until(lambda: busi.order_count(product) == len(buyers), 10)
    return product, gids


def test_an_unpaid_order_is_cancelled_and_its_unit_returned(busi, new_product):
    product, [gid] = sale(busi, new_product, [71])
    assert busi.stock(product) == 0
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", EXPIRY_DEADLINE_S)
    assert wait_until(lambda: busi.stock(product) == 1, 5)


def test_a_paid_order_keeps_its_unit_and_costs_dtm_nothing_more(busi, new_product, dtm):
    product, [paid, unpaid] = sale(busi, new_product, [72, 76], window_s=3)
    assert busi.post("pay", gid=paid).status_code == 200
    # The unpaid one, created just after, expires once a sweep has passed both windows.
    assert wait_until(lambda: order_status(busi, product, unpaid) == "cancelled", EXPIRY_DEADLINE_S)
    assert order_status(busi, product, paid) == "paid" and busi.stock(product) == 1
    assert dtm.query(expiry.saga_gid(paid))["transaction"] is None
    assert dtm.query(paid + "-expiry")["transaction"] is None  # no trigger registered, as before


def test_a_second_start_doubles_nothing(busi, new_product, dtm, svc):
    product, [gid] = sale(busi, new_product, [73], window_s=1)
    assert wait_until(lambda: (dtm.query(expiry.saga_gid(gid))["transaction"] or {}).get("status") == "succeed", 30)
    with ThreadPoolExecutor(max_workers=3) as pool:  # three sweepers that all found it due
        list(pool.map(lambda _: expiry.start(svc, gid, product, 1, 73), range(3)))
    assert order_status(busi, product, gid) == "cancelled" and busi.stock(product) == 1


def test_a_sweep_leaves_an_order_whose_window_is_open(busi, new_product, svc):
    product, [gid] = sale(busi, new_product, [75], window_s=3600)
    expiry.sweep(svc)
    assert gid not in {due for due, *_ in orders.due_for_expiry(svc.mysql, 10_000)}
    assert order_status(busi, product, gid) == "created" and busi.stock(product) == 0


def test_orders_due_while_dtm_is_down_expire_once_it_is_back(busi, new_product, svc, config):
    product, [gid] = sale(busi, new_product, [77], window_s=3600)
    stack.stop("dtm")
    try:
        # Due only now that DTM is down: a window that closed while stopping DTM took its time
        # (two servers on the HA stack, a busy machine) would let a sweeper expire it first.
        orders.postpone_expiry(svc.mysql, [gid], 0)
        assert wait_until(lambda: gid in {due for due, *_ in orders.due_for_expiry(svc.mysql, 10_000)}, 10)
        with pytest.raises(DtmError):  # as the sweepers find meanwhile: the order stays due
            expiry.sweep(svc)
        assert order_status(busi, product, gid) == "created"
    finally:
        stack.start("dtm")
        stack.wait_healthy(config.busi_url)
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", EXPIRY_DEADLINE_S)
    assert wait_until(lambda: busi.stock(product) == 1, 5)


def test_an_order_its_saga_failed_to_expire_is_not_swept_again(busi, new_product, svc, dtm):
    """Redis lost the product's stock key: the saga's restock says no, its cancel is undone, and
    the saga fails for good. Its gid cannot run twice, so the order must not stay due, or every
    sweep a minute later would submit it again, for ever."""
    product, [gid] = sale(busi, new_product, [78], window_s=3600)
    svc.redis.delete(stock_key(product))
    orders.postpone_expiry(svc.mysql, [gid], 0)
    saga = expiry.saga_gid(gid)
    assert wait_until(lambda: (dtm.query(saga)["transaction"] or {}).get("status") == "failed", EXPIRY_DEADLINE_S)
    orders.postpone_expiry(svc.mysql, [gid], 0)  # due again, as it is LOOK_AGAIN_S after its saga began
    assert wait_until(lambda: expires_at(svc, gid) is None, 10)  # a sweeper found the saga ended
    assert gid not in {due for due, *_ in orders.due_for_expiry(svc.mysql, 10_000)}
    with svc.mysql.connect() as conn:  # read from MySQL: with no stock key, the API knows no such product
        assert orders.status_of(conn, gid) == orders.CREATED


def expires_at(svc, gid):
    with svc.mysql.connect() as conn:
        return conn.execute(text("SELECT expires_at FROM orders WHERE gid = :g"), {"g": gid}).scalar_one()


def test_payment_racing_the_expiry_has_one_winner_per_order(busi, new_product, svc):
    """Six payments spread across the moment the orders' window closes, 0.4 s apart: the first
    come before the sweeper can see the orders due, the last after it has cancelled them, the
    middle ones race it. Both outcomes must occur, and every answer must tell its outcome:
    200 for a paid order, 409 for a cancelled one. Six: below the workers, as each payment
    holds one while DTM calls its branches on others."""
    buyers = list(range(81, 87))
    product, gids = sale(busi, new_product, buyers)
    with svc.mysql.connect() as conn:
        due_in_s = conn.execute(
            text("SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), MIN(expires_at)) / 1e6 FROM orders WHERE product_id = :p"),
            {"p": product},
        ).scalar_one()
    start = time.monotonic() + float(due_in_s)

    def pay(i):
        time.sleep(max(0.0, start - 0.6 + 0.4 * i - time.monotonic()))  # a schedule across the closing
        return busi.post("pay", gid=gids[i]).status_code

    with ThreadPoolExecutor(max_workers=len(gids)) as pool:
        answers = list(pool.map(pay, range(len(gids))))

    def settled():
        statuses = [order_status(busi, product, gid) for gid in gids]
        return statuses if not {"created", "paying"} & set(statuses) else None

    statuses = wait_until(settled, EXPIRY_DEADLINE_S)
    assert statuses, "some orders neither paid nor cancelled"
    assert set(statuses) == {"paid", "cancelled"}, (statuses, answers)  # the race had both outcomes
    assert answers == [200 if status == "paid" else 409 for status in statuses], (statuses, answers)
    paid = statuses.count("paid")
    assert wait_until(lambda: busi.stock(product) == len(gids) - paid, 10)
    assert sum(Decimal("100.00") - wallet(busi, user) for user in buyers) == PRICE * paid  # never a refund to wait for


def test_the_sale_command_balances_units_and_money(capsys):
    argv = ["sale", "--stock", "12", "--restock", "5", "--buyers", "30"]
    assert main([*argv, "--pay", "0.5", "--short", "0.2", "--crash", "1"]) == 0
    lines = [line.split("] ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert "restocked 5 halfway" in lines[0]  # how many of its units sold depends on who came after
    assert lines[-3].startswith("units: added 17 = paid ") and lines[-1] == "held: yes"
    assert "+ awaiting payment 0 +" in lines[-3]  # every unpaid order expired


def test_an_order_whose_process_died_after_its_commit_still_expires(busi, new_product, config):
    """createOrder dies after committing the order (and the worker's sweeper with it): the
    order's row holds its expiry, and another worker's sweeper gives the unpaid unit back."""
    product = new_product(1)
    busi.post("reset", stock=1, product_id=product, pay_within_s=1).raise_for_status()
    crashes = worker_crashes(config)
    response = busi.post("flashSales-crash", user_id=74, product_id=product, at="after_order_commit")
    assert response.status_code == 200, response.text
    assert wait_until(lambda: worker_crashes(config) > crashes, 10)
    gid = response.json()["gid"]
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", EXPIRY_DEADLINE_S)
    assert wait_until(lambda: busi.stock(product) == 1, 5)


def test_restock_s_compensation_succeeds_when_the_stock_key_is_gone(busi, signed, sealed):
    """Only a Redis that lost its data has no stock key; the restock then says no, and its
    compensation must not: DTM would retry it forever and hold up its other work."""
    gid = "{p999999991}-test-expire"
    query = {"gid": gid, "trans_type": "saga", "branch_id": "02"}
    for op, path, answer in (("action", "restock", 409), ("compensate", "restockCompensate", 200)):
        response = busi.session.post(
            f"{busi.url}/{path}",
            params={**query, "op": op},
            headers=signed(gid),
            json=sealed(
                gid, "02", {"product_id": 999_999_991, "units": 1, "user_id": 1}, "restock", "restockCompensate"
            ),
        )
        assert response.status_code == answer, response.text


def test_an_order_being_paid_is_cancelled_once_its_payment_is_declined(busi, new_product, svc, signed, sealed):
    """cancelOrder finds the order `paying`: not a no (the payment may be declined and give it
    back), but ONGOING, changing nothing, so that DTM asks again; once the payment gave the
    order back, the same call cancels it. A no would fail the order's only expiry saga."""
    product, [gid] = sale(busi, new_product, [79], window_s=3600)
    saga = expiry.saga_gid(gid)

    def cancel_order():
        return busi.session.post(
            f"{busi.url}/cancelOrder",
            params={"gid": saga, "trans_type": "saga", "branch_id": "01", "op": "action"},
            headers=signed(saga),
            json=sealed(saga, "01", {"order_gid": gid, "product_id": product}, "cancelOrder", "cancelOrderCompensate"),
        )

    with svc.mysql.begin() as conn:  # a payment has claimed it
        assert orders.move(conn, gid, orders.CREATED, orders.PAYING)
    response = cancel_order()
    assert (response.status_code, response.json()["dtm_result"]) == (425, "ONGOING"), response.text
    assert order_status(busi, product, gid) == "paying"
    with svc.mysql.begin() as conn:  # the payment was declined: its compensation gives it back
        assert orders.move(conn, gid, orders.PAYING, orders.CREATED)
    assert cancel_order().status_code == 200
    assert order_status(busi, product, gid) == "cancelled"
