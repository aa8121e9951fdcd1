"""python -m crash_sim sale: a flash sale to the end, payments and expiry included.

A crowd buys one, two or three units each, and halfway through the operator restocks; of the
buyers who got their units, some
pay, some try to pay with too little in their wallet, some never pay (their orders expire),
and a few payments crash between their two branches (pay-crash: the charge's process dies).
Then, once every order is paid or cancelled and DTM has finished every transaction of the
sale, the stores are read back and one balance sheet says whether units and money add up:
the units the product's ledger says were added, restock included.
"""

import base64
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from busi.adapters import orders
from busi.domain import expiry, payment
from busi.scenarios import dtm_records, wait
from busi.scenarios.client import operator_client, quantity_of
from saga import DtmClient
from saga.dtm_client import FINAL

PRICE, OPENING = Decimal("10.00"), Decimal("100.00")
PAY_WITHIN_S = 15  # long enough for the payers (a crashed one is retried 5-8 s later), short enough to watch
PAYERS_AT_ONCE = 4  # below the workers: each payment holds one while DTM calls its branches
SETTLE_DEADLINE_S = 90
RESTOCK = "restock"  # among the crowd's tasks: the operator's restock


@dataclass
class Sheet:
    added: int  # units ever put on sale: the product's ledger (units_added)
    stock_left: int
    by_status: dict  # orders by status
    units_by_status: dict  # the units in them
    charged: Decimal
    refunds: Decimal
    refunded: int
    wallets_below_zero: int
    unfinished: int
    sagas_won: dict  # "pay" / "expire" -> sagas of that kind that succeeded

    def problems(self):
        paid, created = self.units_by_status.get("paid", 0), awaiting(self.units_by_status)
        paid_orders = self.by_status.get("paid", 0)
        checks = [
            (
                self.stock_left + created + paid != self.added,
                f"stock left {self.stock_left} + units created {created} + units paid {paid} "
                f"!= units added {self.added}",
            ),
            (self.charged != PRICE * paid, f"charged {self.charged} != {paid} units paid x {PRICE}"),
            (self.wallets_below_zero, f"{self.wallets_below_zero} wallets below zero"),
            (self.unfinished, f"{self.unfinished} DTM transactions of the sale not finished"),
            # an order both paid and cancelled would show as one saga too many on one side
            (
                self.sagas_won["pay"] != paid_orders,
                f"{self.sagas_won['pay']} payment sagas succeeded for {paid_orders} paid orders",
            ),
            (
                self.sagas_won["expire"] != self.by_status.get("cancelled", 0),
                f"{self.sagas_won['expire']} expiry sagas succeeded for "
                f"{self.by_status.get('cancelled', 0)} cancelled orders",
            ),
        ]
        return [message for failed, message in checks if failed]

    def lines(self):
        paid, created = self.units_by_status.get("paid", 0), awaiting(self.units_by_status)
        cancelled = self.units_by_status.get("cancelled", 0)
        never_sold = self.stock_left - cancelled
        return [
            f"units: added {self.added} = paid {paid} + awaiting payment {created} + back in stock "
            f"{self.stock_left} (cancelled {cancelled}, never sold {never_sold})",
            f"money: charged {self.charged} = {paid} units paid x {PRICE} "
            f"({self.by_status.get('paid', 0)} orders); refunds {self.refunds} for "
            f"{self.refunded} declined after their charge; wallets total unchanged otherwise",
            "held: " + ("yes" if not self.problems() else "NO: " + "; ".join(self.problems())),
        ]


def run_sale(config, stock=50, buyers=200, pay=0.6, short=0.1, crash=3, seed=None, restock=10):
    """Yield the sale's progress, then the balance sheet's lines; the Sheet is the last item."""
    client, rng, began = operator_client(config), random.Random(seed), time.time()
    product = client.post(
        "products",
        name=f"sale of {time.strftime('%H:%M:%S')}",
        price=str(PRICE),
        stock=stock,
        pay_within_s=PAY_WITHIN_S,
    ).json()["id"]  # a new product: DTM's records of it are this run's
    client.post("reset", stock=stock, product_id=product, balance=str(OPENING)).raise_for_status()  # every wallet
    # The restock goes in among the purchases, halfway: some are in flight as it adds.
    tasks = list(range(1, buyers + 1))
    tasks.insert(buyers // 2, RESTOCK)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda task: _buy_or_restock(client, product, task, restock), tasks))
    restocked = answers.pop(buyers // 2)
    bought = [(user, r.json()["gid"]) for user, r in enumerate(answers, 1) if r.status_code == 200]
    yield (f"product {product}: {buyers} buyers for {stock} units, restocked {restocked} halfway, {len(bought)} bought")
    wait.until(
        lambda: client.order_count(product) == len(bought), SETTLE_DEADLINE_S, "the orders of the purchases", 0.5
    )
    rng.shuffle(bought)
    payers, rest = bought[: round(pay * len(bought))], bought[round(pay * len(bought)) :]
    shorts = rest[: round(short * len(bought))]
    start = {user: OPENING for user, _ in bought}
    for user, _ in shorts:
        start[user] = PRICE - 1
        client.post("wallet", user_id=user, balance=str(start[user])).raise_for_status()
    tries = [(gid, "pay-crash" if i < crash else "pay") for i, (_, gid) in enumerate(payers + shorts)]
    with ThreadPoolExecutor(max_workers=PAYERS_AT_ONCE) as pool:
        codes = list(pool.map(lambda t: client.post(t[1], gid=t[0]).status_code, tries))
    yield (
        f"{len(payers)} paid ({min(crash, len(payers))} of them crashing after the charge), {len(shorts)} tried "
        f"with too little, {len(bought) - len(payers) - len(shorts)} never paid: answers "
        f"{dict(sorted((c, codes.count(c)) for c in set(codes)))}"
    )
    dtm = DtmClient(config.dtm_url)
    yield "waiting for every order to be paid or cancelled, and for DTM to finish every transaction"
    wait.until(lambda: settled(client, dtm, product, began), SETTLE_DEADLINE_S, "the sale to settle", 0.5)
    sheet = read_sheet(client, dtm, product, start, began)
    yield from sheet.lines()
    yield sheet


def _buy_or_restock(client, product, task, units):
    """A buyer's purchase (its answer), or the restock (the units it added: 0 if it failed)."""
    if task != RESTOCK:
        return client.purchase(task, product, quantity=quantity_of(task))
    return restock_once(client, product, units) if units else 0


def restock_once(client, product, units):
    """The operator's restock, sent once: not again on a 5xx or a lost answer, as it may have
    added its units. The units it is known to have added (0 if unknown); the product's ledger
    says what was really added, and every audit balances against that."""
    try:
        return units if client.post(f"products/{product}/restock", units=units).status_code == 200 else 0
    except OSError:
        return 0


def read_sheet(client, dtm, product, start, since_s):
    """The product's balance sheet, from the service's operator endpoints and DTM's records."""
    listing = client.get("orders", product_id=product).json()
    view = client.get(f"products/{product}").json()
    balances = {user: Decimal(client.get("wallet", user_id=user).json()["balance"]) for user in start}
    transactions = dtm_records.dtm_transactions(dtm, product, since_s)
    refunds, refunded = Decimal("0.00"), 0
    for gid, trans in transactions.items():
        if not (payment.is_payment(gid) and trans["status"] == "failed"):
            continue
        branches = dtm.query(gid)["branches"]
        if charged_then_refunded(branches):
            refunds, refunded = refunds + charge_of(branches), refunded + 1
    won = {
        kind: sum(1 for gid, t in transactions.items() if t["status"] == "succeed" and is_kind(gid))
        for kind, is_kind in (("pay", payment.is_payment), ("expire", expiry.is_expiry_saga))
    }
    return Sheet(
        view["units_added"],
        view["stock"],
        listing["by_status"],
        listing["units_by_status"],
        sum(start[user] - balances[user] for user in start),
        refunds,
        refunded,
        sum(balance < 0 for balance in balances.values()),
        sum(t["status"] not in FINAL for t in transactions.values()),
        won,
    )


def awaiting(by_status):
    """Orders not yet paid nor cancelled: created, or claimed by a payment still under way."""
    return by_status.get(orders.CREATED, 0) + by_status.get(orders.PAYING, 0)


def charge_of(branches):
    """The price a payment saga charges: its charge action's payload's (DTM's query: base64)."""
    [charge] = [b for b in branches if b["url"].endswith("/charge") and b["op"] == "action"]
    return Decimal(json.loads(base64.b64decode(charge["bin_data"]))["price"])


def charged_then_refunded(branches):
    """Whether a payment saga's charge ran and was compensated (its order could not be paid)."""
    succeeded = {(b["url"].rsplit("/", 1)[-1], b["op"]) for b in branches if b["status"] == "succeed"}
    return {("charge", "action"), ("chargeCompensate", "compensate")} <= succeeded


def settled(client, dtm, product, since_s):
    """No order awaits payment, and DTM has finished every transaction of the product since
    since_s: its purchases, and the payment and expiry sagas that the balance sheet counts."""
    created = awaiting(client.get("orders", product_id=product).json()["by_status"])
    transactions = dtm_records.dtm_transactions(dtm, product, since_s)
    return not created and all(t["status"] in FINAL for t in transactions.values())
