"""A purchase, sold out, duplicate deliveries, and a back-query that comes first."""

import time
import uuid

import pytest

from busi import create_app, services
from busi.adapters.orders import orders_of_gid
from busi.adapters.stock import new_gid, stock_key
from busi.domain import flash_sale
from busi.domain.strategies import SoldOut
from busi.domain.strategies.dtm import SOLD_OUT_MEMO_S
from busi.scenarios import dtm_records
from saga import DtmDuplicated, Msg
from saga.barrier_redis import barrier_key
from tests.conftest import wait_until

ORDER_DEADLINE_S = 10


def test_a_purchase_creates_exactly_one_order(busi, new_product, mysql):
    product = new_product(5)
    response = busi.purchase(user_id=7, product_id=product)
    assert response.status_code == 200, response.text
    gid = response.json()["gid"]
    assert response.json()["dtm_result"] == "SUCCESS"
    assert wait_until(lambda: orders_of_gid(mysql, gid) == 1, ORDER_DEADLINE_S)
    assert busi.stock(product) == 4
    assert busi.order_count(product) == 1
    latest = busi.get("orders", product_id=product).json()["latest"]
    assert [(o["gid"], o["user_id"], o["amount"], o["status"]) for o in latest] == [(gid, 7, 1, "created")]


def test_sold_out_is_409_and_starts_no_transaction(busi, new_product, dtm):
    product = new_product(0)
    response = busi.purchase(user_id=7, product_id=product)
    assert response.status_code == 409
    body = response.json()
    assert body["dtm_result"] == "FAILURE" and "sold out" in body["error"]
    assert "gid" not in body  # the fast path: no global transaction at all
    assert not dtm_records.dtm_transactions(dtm, product)
    assert busi.stock(product) == 0 and busi.order_count(product) == 0


def test_a_crowd_after_the_last_unit_costs_redis_a_read_per_worker_and_period(busi, new_product, redis, config):
    if config.ha:
        pytest.skip("counts one Redis server's reads: the single stack's")
    product = new_product(0)
    reads = lambda: redis.info("commandstats")["cmdstat_get"]["calls"]  # noqa: E731
    before, start = reads(), time.monotonic()
    answers = [r.status_code for r in busi.purchase_many([7] * 200, product)]
    periods = (time.monotonic() - start) / SOLD_OUT_MEMO_S + 1
    assert answers == [409] * 200
    # Other tests' reads may land meanwhile; without the memo there would be 200 of ours.
    assert reads() - before <= config.busi_workers * periods + 20 < 200


def test_a_restocked_product_sells_at_once_whichever_worker_remembered_it_sold_out(busi, new_product):
    product = new_product(0)
    assert {r.status_code for r in busi.purchase_many([7] * 40, product)} == {409}  # every worker, likely
    busi.reset(3, product)
    assert [r.status_code for r in busi.purchase_many([7] * 3, product)] == [200] * 3


def test_a_deduction_refused_by_the_script_aborts_its_message(config, dtm, redis, new_product):
    """The fast path read a unit that was gone by the deduction: the Lua script refuses, and
    the message is aborted, not left prepared."""
    product = new_product(0)
    app = create_app(config)
    with app.app_context():
        gid = new_gid(product)
        with pytest.raises(SoldOut):
            flash_sale.purchase(services(), gid, 7, product, 1)
    assert dtm.query(gid)["transaction"]["status"] == "failed"


def test_create_order_delivered_twice_makes_one_order(busi, config, mysql, new_product, signed, sealed):
    product = new_product(1)
    gid = f"test-{uuid.uuid4().hex}"
    query = {"gid": gid, "trans_type": "msg", "branch_id": "01", "op": "action"}
    payload = sealed(gid, "01", {"user_id": 3, "product_id": product, "amount": 1}, "createOrder")
    for _ in range(2):
        response = busi.session.post(f"{config.busi_url}/createOrder", params=query, json=payload, headers=signed(gid))
        assert response.status_code == 200 and response.json() == {"dtm_result": "SUCCESS"}
    assert orders_of_gid(mysql, gid) == 1


def test_back_query_before_the_deduction(busi, config, dtm, redis, redis_barrier, mysql, new_product, signed):
    """DTM asks before the local transaction ran: 409, and the late deduction must then fail."""
    product = new_product(3)
    gid = new_gid(product)
    query = {"gid": gid, "trans_type": "msg", "branch_id": "00", "op": "msg"}
    response = busi.session.get(f"{config.busi_url}/queryPrepared", params=query, headers=signed(gid))
    assert response.status_code == 409
    assert redis.get(barrier_key(gid, "00", "msg", "01")) == b"rollback"

    msg = Msg(dtm, gid, branch_secret=config.branch_secret).add(
        {"user_id": 1, "product_id": product, "amount": 1}, f"{config.busi_url}/createOrder"
    )
    deduct = lambda barrier: redis_barrier.check_adjust_amount(barrier, stock_key(product), -1)  # noqa: E731
    with pytest.raises(DtmDuplicated):
        msg.do_and_submit(f"{config.busi_url}/queryPrepared", deduct)
    assert busi.stock(product) == 3
    assert dtm.query(gid)["transaction"]["status"] == "failed"
    assert orders_of_gid(mysql, gid) == 0 and busi.order_count(product) == 0


def test_an_unknown_outcome_is_settled_by_the_back_query(busi, config, dtm, mysql, redis_barrier, new_product, signed):
    """The deduction commits but its reply is lost: DoAndSubmit asks the back-query and submits."""
    product = new_product(2)
    gid = new_gid(product)
    msg = Msg(dtm, gid, branch_secret=config.branch_secret).add(
        {"user_id": 1, "product_id": product, "amount": 1}, f"{config.busi_url}/createOrder"
    )

    def deduct_then_lose_the_reply(barrier):
        redis_barrier.check_adjust_amount(barrier, stock_key(product), -1)
        raise TimeoutError("reply lost")

    with pytest.raises(TimeoutError):
        msg.do_and_submit(f"{config.busi_url}/queryPrepared", deduct_then_lose_the_reply)
    assert wait_until(lambda: orders_of_gid(mysql, gid) == 1, ORDER_DEADLINE_S)
    assert busi.stock(product) == 1
