"""The live page at `/`: a sale as it happens (busi/entrypoints/web/, which polls GET /api/busi/live).

It shows the transactions this service started lately (busi/adapters/recent_transactions.py),
as DTM has them, each asked for by gid, and the units in flight among them (busi/domain/in_flight.py).
"""

import time
from pathlib import Path

from flask import Blueprint, send_from_directory

from busi import services
from busi.adapters import metrics, orders, products, recent_transactions, stock
from busi.config import API_PREFIX
from busi.domain import expiry, in_flight, payment
from busi.domain.refusals import NotFound
from busi.entrypoints.inputs import params, parse_int
from saga.result import DtmError

bp = Blueprint("live", __name__)

WEB = Path(__file__).with_name("web")
# The page's files, and the chart library npm installed from busi/entrypoints/web/package-lock.json.
ASSETS = {"live.js": WEB, "live.css": WEB, "chart.umd.min.js": WEB / "node_modules" / "chart.js" / "dist"}
TRANSACTIONS_SHOWN = 20
PRODUCTS_SHOWN = 5


@bp.get("/")
def page():
    return send_from_directory(WEB, "index.html")


@bp.get("/live/<name>")
def asset(name):
    folder = ASSETS.get(name)
    if folder is None or not (folder / name).is_file():
        raise NotFound(
            f"no asset {name!r}; the chart library comes from `npm ci` in busi/entrypoints/web (make up runs it)"
        )
    return send_from_directory(folder, name)


@bp.get(f"{API_PREFIX}/live")
def state():
    """Everything the page shows, read from the stores and DTM now; product_id: the page's product."""
    selected = parse_int(params(), "product_id", default=1, minimum=1)
    svc, now = services(), time.time()
    recent = recent_transactions.newest(svc.redis)
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
    """The selected product and the newest ones: stock left, orders and their units by status, units in flight."""
    ids = [selected] + [p["id"] for p in products.latest(svc.mysql, PRODUCTS_SHOWN) if p["id"] != selected]
    counts = orders.counts_by_status(svc.mysql, ids)
    flying = in_flight.units_in_flight(svc, [gid for gid, _ in recent])
    return [
        {
            "id": product_id,
            "stock": units,
            "orders": counts[product_id]["orders"],
            "units": counts[product_id]["units"],
            "in_flight": flying.get(product_id, 0),
        }
        for product_id, units in zip(ids, stock.get_stocks(svc.redis, ids), strict=True)
    ]


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
    return "expiry" if expiry.is_expiry_saga(gid) else ""
