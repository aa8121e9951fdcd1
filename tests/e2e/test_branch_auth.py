"""Only DTM may call the branches: a call without its transaction's token gets a 401, and
nothing is read or written."""

import uuid

import pytest

from busi.adapters.orders import orders_of_gid
from busi.adapters.stock import new_gid
from saga import branch_token
from saga.barrier_redis import barrier_key
from tests.conftest import wait_until
from tests.e2e.conftest import busi_log

ORDER_QUERY = {"trans_type": "msg", "branch_id": "01", "op": "action"}
BACK_QUERY = {"trans_type": "msg", "branch_id": "00", "op": "msg"}


def forged_order(busi, config, gid, headers=None, product=1):
    """The forged call from the issue: an order of 1,000 units that no stock backs."""
    return busi.session.post(
        f"{config.busi_url}/createOrder",
        params={"gid": gid, **ORDER_QUERY},
        json={"user_id": 1, "product_id": product, "amount": 1000},
        headers=headers or {},
    )


@pytest.mark.parametrize(
    "headers, says",
    [
        ({}, "missing header Dtm-Branch-Token"),
        ({branch_token.HEADER: "0" * 64}, "not valid for this gid"),
        ({branch_token.HEADER: ""}, "missing header Dtm-Branch-Token"),
    ],
)
def test_a_forged_create_order_is_401_and_creates_nothing(busi, config, mysql, new_product, headers, says):
    product = new_product(5)
    gid = f"forged-{uuid.uuid4().hex}"
    response = forged_order(busi, config, gid, headers, product)
    assert response.status_code == 401
    assert says in response.json()["error"]
    assert orders_of_gid(mysql, gid) == 0 and busi.order_count(product) == 0 and busi.stock(product) == 5


def test_a_token_for_one_gid_does_not_work_for_another(busi, config, mysql, signed):
    mine, other = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    response = forged_order(busi, config, other, headers=signed(mine))
    assert response.status_code == 401 and "not valid for this gid" in response.json()["error"]
    assert orders_of_gid(mysql, other) == 0


def test_a_forged_back_query_cannot_roll_a_purchase_back(busi, config, redis, new_product):
    gid = new_gid(new_product(1))
    response = busi.session.get(f"{config.busi_url}/queryPrepared", params={"gid": gid, **BACK_QUERY})
    assert response.status_code == 401 and "Dtm-Branch-Token" in response.json()["error"]
    assert redis.get(barrier_key(gid, "00", "msg", "01")) is None  # no rollback mark written


def test_a_call_without_gid_is_401(busi, config, signed):
    response = busi.session.get(f"{config.busi_url}/queryPrepared", params=BACK_QUERY, headers=signed("x"))
    assert response.status_code == 401 and "missing query parameter gid" in response.json()["error"]


def test_the_refusal_is_logged_with_the_callers_address(busi, config):
    gid = f"forged-{uuid.uuid4().hex}"
    forged_order(busi, config, gid)
    lines = [line for line in busi_log(config).splitlines() if gid in line]
    assert len(lines) == 1 and "refused POST /api/busi/createOrder from 127.0.0.1" in lines[0]


def test_dtm_sends_the_token_so_purchases_still_get_their_orders(busi, mysql, dtm, new_product):
    product = new_product(1)
    gid = busi.purchase(user_id=3, product_id=product).json()["gid"]
    assert wait_until(lambda: orders_of_gid(mysql, gid) == 1, 10)
    # DTM records the branch's success after createOrder's commit, a moment later
    assert wait_until(lambda: dtm.query(gid)["transaction"]["status"] == "succeed", 5)
