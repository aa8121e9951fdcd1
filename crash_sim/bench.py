"""python -m crash_sim bench: figures, measured in one run, meant to be read as ratios.

1. Purchases through the running service: a crowd larger than the stock, so that both the
   success path (prepare, deduct, submit, then DTM's createOrder) and the sold-out path
   (prepare, failed deduction, abort) are timed.
2. The DTM client: prepare + abort pairs over saga's pooled session, against dtmcli's
   way (a new connection per call), on the same DTM server.
"""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from dtmcli.dtmimp import trans_call_dtm

from crash_sim.client import BusiClient
from saga import DtmClient, Msg

BENCH_PRODUCT = 999_001


def purchase_rate(client, stock, buyers, concurrency):
    """Purchases per second for `buyers` buyers, `concurrency` at a time, on `stock` units."""
    client.reset(stock, BENCH_PRODUCT)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        start = time.perf_counter()
        codes = list(pool.map(lambda user: client.purchase(user, BENCH_PRODUCT).status_code, range(1, buyers + 1)))
        elapsed = time.perf_counter() - start
    return buyers / elapsed, codes.count(200), codes.count(409)


def dtm_pairs_rate(dtm_url, pairs, pooled):
    """prepare + abort pairs per second, over a pooled session or a connection per call."""
    client = DtmClient(dtm_url)
    start = time.perf_counter()
    for _ in range(pairs):
        msg = Msg(client, f"bench-{uuid.uuid4().hex}").add({}, "http://127.0.0.1:1/unused")
        msg.trans_base.query_prepared = "http://127.0.0.1:1/unused"
        for operation in ("prepare", "abort"):
            if pooled:
                client.call(operation, msg.trans_base.__dict__)
            else:
                trans_call_dtm(dtm_url, msg.trans_base.__dict__, operation, client.timeout)
    return pairs / (time.perf_counter() - start)


def run_bench(busi_url, dtm_url, buyers=400, concurrency=16, pairs=300):
    client = BusiClient(busi_url)
    yield f"service: {buyers} buyers, {concurrency} at a time"
    rate, ok, sold_out = purchase_rate(client, buyers, buyers, concurrency)
    yield f"  success path:  {rate:7.1f} purchases/s ({ok} bought, {sold_out} sold out)"
    rate_out, ok, sold_out = purchase_rate(client, 0, buyers, concurrency)
    yield f"  sold-out path: {rate_out:7.1f} purchases/s ({ok} bought, {sold_out} sold out)"
    yield f"  sold-out / success: {rate_out / rate:.2f}x"
    yield f"DTM client: {pairs} prepare+abort pairs, one at a time"
    pooled = dtm_pairs_rate(dtm_url, pairs, pooled=True)
    per_call = dtm_pairs_rate(dtm_url, pairs, pooled=False)
    yield f"  pooled session:           {pooled:7.1f} pairs/s"
    yield f"  connection per call:      {per_call:7.1f} pairs/s (dtmcli's way)"
    yield f"  pooled / per call: {pooled / per_call:.2f}x"
