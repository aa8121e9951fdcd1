"""The live page at `/`: a sale as it happens (busi/web/, which polls GET /api/busi/live).

DTM lists its transactions in gid order, and on the boltdb store by reading every one it
keeps, which grows by the hour. So the service notes the gid of each transaction it starts
(the newest RECENT_KEEP, in Redis, every worker's) and asks DTM about those by gid.
"""

import logging
import time
from pathlib import Path

import redis
from flask import Blueprint, send_from_directory

from busi import expiry, metrics, orders, payment, products, services, stock
from busi.config import API_PREFIX
from busi.inputs import NotFound, params, parse_int
from saga.barrier_redis import local_transactions_done
from saga.result import DtmError

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)

WEB = Path(__file__).with_name("web")
# The page's files, and the chart library npm installed from busi/web/package-lock.json.
ASSETS = {"live.js": WEB, "live.css": WEB, "chart.umd.min.js": WEB / "node_modules" / "chart.js" / "dist"}
RECENT_KEY = "recent-transactions"  # sorted set: gid -> when this service started it (epoch s)
RECENT_KEEP = 1000  # enough for a crowd's in-flight units to stay in view until they settle
TRANSACTIONS_SHOWN = 20
PRODUCTS_SHOWN = 5


@bp.get("/")
def page():
    return send_from_directory(WEB, "index.html")


@bp.get("/live/<name>")
def asset(name):
    folder = ASSETS.get(name)
    if folder is None or not (folder / name).is_file():
        raise NotFound(f"no asset {name!r}; the chart library comes from `npm ci` in busi/web (make up runs it)")
    return send_from_directory(folder, name)


@bp.get(f"{API_PREFIX}/live")
def state():
    """Everything the page shows, read from the stores and DTM now; product_id: the page's product."""
    selected = parse_int(params(), "product_id", default=1, minimum=1)
    svc, now = services(), time.time()
    recent = [(gid.decode(), started) for gid, started in svc.redis.zrevrange(RECENT_KEY, 0, -1, withscores=True)]
    shown, dtm_error = transactions(svc, recent[:TRANSACTIONS_SHOWN], now)
    return {
        "time": now,
        "products": product_rows(svc, selected, recent),
        "transactions": shown,
        "dtm_error": dtm_error,
        "dtm_dashboard": svc.dtm.dashboard_url(),
        "purchases": metrics.purchase_totals(),
    }


def product_rows(svc, selected, recent):
    """The selected product and the newest ones: stock left, orders by status, units in flight."""
    ids = [selected] + [p["id"] for p in products.latest(svc.mysql, PRODUCTS_SHOWN) if p["id"] != selected]
    counts, flying = orders.counts_by_status(svc.mysql, ids), in_flight(svc, recent)
    return [
        {"id": product_id, "stock": units, "orders": counts[product_id], "in_flight": flying.get(product_id, 0)}
        for product_id, units in zip(ids, stock.get_stocks(svc.redis, ids), strict=True)
    ]


def in_flight(svc, recent):
    """{product_id: units} deducted in Redis whose order is not in MySQL yet, among the recent
    purchases: a crashed purchase's unit stays here until DTM's back-query creates its order."""
    purchases = {gid: purchase[0] for gid, _ in recent if (purchase := stock.purchase_of(gid))}
    ordered = orders.gids_with_orders(svc.mysql, purchases)
    pending = [gid for gid in purchases if gid not in ordered]
    units = {}
    for gid, deducted in zip(pending, local_transactions_done(svc.redis, pending), strict=True):
        if deducted:
            units[purchases[gid]] = units.get(purchases[gid], 0) + stock.STOCK_AMOUNT_PER_ORDER
    return units


def transactions(svc, recent, now):
    """([the recent transactions as DTM has them, newest first], DTM's error or None)."""
    shown = []
    try:
        for gid, started in recent:
            trans = svc.dtm.transaction(gid) or {"trans_type": "?", "status": "unknown to DTM"}
            purchase = stock.purchase_of(gid)
            shown.append(
                {
                    "gid": gid,
                    "kind": kind_of(gid),
                    "type": trans["trans_type"],
                    "status": trans["status"],
                    "age_s": round(now - started, 1),
                    "crash_drill": purchase is not None and purchase[1],
                    "dashboard": svc.dtm.dashboard_url(gid),
                }
            )
    except DtmError as err:
        return shown, str(err)
    return shown, None


def kind_of(gid):
    if stock.purchase_of(gid):
        return "purchase"
    if payment.is_payment(gid):
        return "payment"
    if expiry.is_expiry_trigger(gid):
        return "expiry trigger"
    return "expiry" if expiry.is_expiry_saga(gid) else ""


def remember(client, operation, trans):
    """DtmClient's on_trans hook: note a transaction when it starts (a msg's prepare, or the
    submit of one never prepared: a saga, a delayed msg). Never fails the purchase."""
    if operation != "prepare" and (operation != "submit" or trans.get("query_prepared")):
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.zadd(RECENT_KEY, {trans["gid"]: time.time()}, nx=True)
        pipe.zremrangebyrank(RECENT_KEY, 0, -RECENT_KEEP - 1)
        pipe.execute()
    except redis.RedisError as err:
        log.warning("gid=%s not listed on the live page: %s", trans["gid"], err)


def forget(svc, product_id):
    """A reset product's purchases leave the page: their orders are gone, their deductions not."""
    recent = [gid.decode() for gid in svc.redis.zrange(RECENT_KEY, 0, -1)]
    gone = [gid for gid in recent if (stock.purchase_of(gid) or (None,))[0] == product_id]
    if gone:
        svc.redis.zrem(RECENT_KEY, *gone)
