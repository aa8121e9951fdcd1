"""Expiry, a DTM saga triggered by a delayed DTM message: an unpaid order gives its unit
back, a paid one keeps it, a second trigger doubles nothing, and a payment racing the expiry
leaves exactly one winner with the money and the units balanced."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from busi.domain import expiry
from crash_sim.__main__ import main
from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, wallet, worker_crashes

WINDOW_S = 2
EXPIRY_DEADLINE_S = 30  # the window, then DTM's cron (every ~3 s), then the saga


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


def test_a_paid_order_keeps_its_unit(busi, new_product, dtm):
    product, [gid] = sale(busi, new_product, [72])
    assert busi.post("pay", gid=gid).status_code == 200
    trigger = expiry.trigger_gid(gid)
    assert wait_until(lambda: (dtm.query(trigger)["transaction"] or {}).get("status") == "succeed", EXPIRY_DEADLINE_S)
    assert order_status(busi, product, gid) == "paid" and busi.stock(product) == 0
    assert dtm.query(expiry.saga_gid(gid))["transaction"] is None  # the trigger found nothing to do


def test_a_second_trigger_doubles_nothing(busi, new_product, signed, sealed, dtm):
    product, [gid] = sale(busi, new_product, [73], window_s=1)
    trigger = expiry.trigger_gid(gid)
    assert wait_until(lambda: (dtm.query(expiry.saga_gid(gid))["transaction"] or {}).get("status") == "succeed", 30)
    query = {"gid": trigger, "trans_type": "msg", "branch_id": "01", "op": "action"}
    for _ in range(2):  # DTM's call of the trigger's branch, delivered twice more
        response = busi.session.post(
            f"{busi.url}/expireOrder",
            params=query,
            headers=signed(trigger),
            json=sealed(trigger, "01", {"order_gid": gid, "product_id": product}, "expireOrder"),
        )
        assert response.status_code == 200, response.text
    assert order_status(busi, product, gid) == "cancelled" and busi.stock(product) == 1


def test_the_trigger_s_call_replayed_before_the_window_closes_is_425_and_cancels_nothing(
    busi, new_product, signed, sealed
):
    """DTM's API shows the trigger's payload and token: replayed early, it must not expire the order."""
    product, [gid] = sale(busi, new_product, [75], window_s=3600)
    trigger = expiry.trigger_gid(gid)
    response = busi.session.post(
        f"{busi.url}/expireOrder",
        params={"gid": trigger, "trans_type": "msg", "branch_id": "01", "op": "action"},
        headers=signed(trigger),
        json=sealed(trigger, "01", {"order_gid": gid, "product_id": product}, "expireOrder"),
    )
    assert response.status_code == 425 and "not expired yet" in response.json()["error"], response.text
    assert order_status(busi, product, gid) == "created" and busi.stock(product) == 0


def test_payment_racing_the_expiry_has_one_winner_per_order(busi, new_product, dtm):
    buyers = list(range(81, 91))
    product, gids = sale(busi, new_product, buyers, window_s=1)
    with ThreadPoolExecutor(max_workers=len(gids)) as pool:  # the window closes while they pay
        answers = list(pool.map(lambda gid: busi.post("pay", gid=gid).status_code, gids))
    # 500: DTM had not finished the saga when the answer was due (each pay holds a worker while
    # DTM calls its branches on others), and finishes it later: either outcome, settled below.
    assert set(answers) <= {200, 409, 500}

    def settled():
        statuses = [order_status(busi, product, gid) for gid in gids]
        return statuses if "created" not in statuses else None

    statuses = wait_until(settled, EXPIRY_DEADLINE_S)
    assert statuses, "some orders neither paid nor cancelled"
    for status, answer in zip(statuses, answers, strict=True):  # every 200 won, every 409 lost
        assert answer == 500 or (status == "paid") == (answer == 200), (status, answer)
    paid = statuses.count("paid")
    assert wait_until(lambda: busi.stock(product) == len(gids) - paid, 10)

    def charged():  # a declined payment's refund may still be on its way (DTM retries it)
        return sum(Decimal("100.00") - wallet(busi, user) for user in buyers)

    assert wait_until(lambda: charged() == PRICE * paid, EXPIRY_DEADLINE_S), charged()


def test_the_sale_command_balances_units_and_money(capsys):
    assert main(["sale", "--stock", "12", "--buyers", "30", "--pay", "0.5", "--short", "0.2", "--crash", "1"]) == 0
    lines = [line.split("] ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert lines[-3].startswith("units: initial 12 = paid ") and lines[-1] == "held: yes"
    assert "+ awaiting payment 0 +" in lines[-3]  # every unpaid order expired


def test_a_trigger_lost_with_its_process_is_registered_on_dtm_s_retry(busi, new_product, config):
    """createOrder dies after committing the order, before registering its expiry: DTM
    retries createOrder, which registers it then, so the unpaid unit still comes back."""
    product = new_product(1)
    busi.post("reset", stock=1, product_id=product, pay_within_s=1).raise_for_status()
    crashes = worker_crashes(config)
    response = busi.post("flashSales-crash", user_id=74, product_id=product, at="after_order_commit")
    assert response.status_code == 200, response.text
    assert wait_until(lambda: worker_crashes(config) > crashes, 10)
    gid = response.json()["gid"]
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", 45)  # retry after 8 s, then expiry
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
            json=sealed(gid, "02", {"product_id": 999_999_991}, "restock", "restockCompensate"),
        )
        assert response.status_code == answer, response.text
