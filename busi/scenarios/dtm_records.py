"""DTM's records of one product's sale, read from DTM's own list: what the comparison waits
on and what the auditor (crash_sim/audit.py) checks against the stores."""

from busi.adapters.stock import hash_tag


def dtm_transactions(dtm, product_id, since_s=None):
    """gid -> DTM's record of each of the product's transactions (their gids share its prefix).
    boltdb lists transactions in gid order: the scan starts at the prefix and stops past it. The
    SQL store (the HA stack's) lists them newest first, by id: the scan reads those created
    since since_s (epoch s, the sale's start; None: all of them)."""
    prefix = f"{hash_tag(product_id)}-"
    order = _store_order(dtm)
    if order is None:
        return {}
    if order == "id":
        return {t["gid"]: t for t in _all_since(dtm, since_s) if t["gid"].startswith(prefix)}
    statuses, position = {}, prefix
    while True:
        page, position = dtm.all_transactions(position, limit=200)
        for trans in page:
            if not trans["gid"].startswith(prefix):
                return statuses
            statuses[trans["gid"]] = trans
        if not position:
            return statuses


_STORE_ORDER = {}  # DTM URL -> "id" or "gid", asked once per server


def _store_order(dtm):
    """How this DTM's store pages its list: "id" (SQL: a number for the next position), "gid"
    (boltdb), or None while it holds no transaction at all (then nothing tells them apart)."""
    if dtm.url not in _STORE_ORDER:
        _, position = dtm.all_transactions("", limit=1)
        if not position:
            return None
        _STORE_ORDER[dtm.url] = "id" if position.isdigit() else "gid"
    return _STORE_ORDER[dtm.url]


def _all_since(dtm, since_s):
    position, created_since = "", {} if since_s is None else {"createTimeStart": int(since_s - 1) * 1000}
    while True:
        page, position = dtm.all_transactions(position, limit=500, **created_since)
        yield from page
        if not position:
            return


def purchases(transactions):
    """The purchases' messages among a product's transactions: not its payment or expiry sagas."""
    return {gid: t for gid, t in transactions.items() if t["trans_type"] == "msg"}
