"""Key formats: one purchase's Redis keys share one hash tag (one Cluster slot)."""

import re

import pytest

from busi.adapters.stock import new_gid, purchase_of, stock_key
from saga.barrier import BranchBarrier, InvalidBarrier
from saga.barrier_redis import barrier_key


def hash_tag(key):
    return re.match(r"[^{]*\{([^}]*)\}", key).group(1)


def test_stock_and_barrier_keys_share_the_hash_tag():
    gid = new_gid(42)
    keys = [stock_key(42), barrier_key(gid, "00", "msg", "01")]
    assert {hash_tag(k) for k in keys} == {"p42"}
    assert barrier_key(gid, "00", "msg", "01") == f"{gid}-00-msg-01"  # DTM's format


def test_barrier_ids_count_from_01():
    barrier = BranchBarrier("msg", "g", "00", "msg")
    assert [barrier.new_barrier_id(), barrier.new_barrier_id()] == ["01", "02"]


def test_barrier_from_query_needs_what_dtm_sends():
    args = {"gid": "g", "trans_type": "msg", "branch_id": "01", "op": "action"}
    assert BranchBarrier.from_query(args).gid == "g"
    with pytest.raises(InvalidBarrier, match="gid"):
        BranchBarrier.from_query({**args, "gid": ""})
    with pytest.raises(InvalidBarrier, match="gid is longer"):
        BranchBarrier.from_query({**args, "gid": "g" * 129})
    with pytest.raises(InvalidBarrier, match="op is longer"):  # would be truncated into another op
        BranchBarrier.from_query({**args, "op": "action" + "x" * 40})


def test_a_purchase_gid_names_its_product_and_whether_it_is_a_crash_drill():
    assert purchase_of(new_gid(42)) == (42, False)
    assert purchase_of(new_gid(42, crash_at="after_deduct")) == (42, True)
    assert hash_tag(new_gid(7, crash_at="after_submit")) == "p7"
    # payments and expiries are other transactions of the product, not purchases
    assert purchase_of(f"{new_gid(42)}-expire") is None
    assert purchase_of("{p42}-pay-" + "0" * 32) is None
