"""The network rows of the fault matrix: a link between two tiers that loses replies, goes
silent, or resets, while a sale runs (docs/fault-matrix.md).

The sale goes to the service whose every link passes through Toxiproxy (scripts/stack.sh
rtt-up): the service to MySQL, to Redis and to DTM, and DTM to the service's branches. A fault
is a toxic on one link and one direction. A lost reply is a `timeout` toxic (0: silence until
healed) on the answers only: the request arrives and does its work, and its reply never comes
back. A process kill closes its sockets, so the other side learns of it at once; a lost reply
tells it nothing. Each row's witness shows, from the stores or the service's log, that the
fault really happened.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal

from sqlalchemy import text

from busi.adapters import orders, redis_client
from busi.adapters.stock import hash_tag
from busi.domain import payment
from busi.scenarios import dtm_records, wait
from crash_sim.fault import Fault
from crash_sim.redis_late import REDIS_LATE
from crash_sim.toxiproxy import REPLIES, REQUESTS, SILENT, Toxic
from saga.dtm_client import FINAL


def toxics(*steps, before_heal=None):
    """An inject function: each toxic put on in turn, waiting its then_s after it; then
    before_heal(sale), if any, and every toxic healed. Returns the units sold when it hit."""

    def inject(sale):
        hit = sale.crowd.sold
        with ExitStack() as on:
            for step in steps:
                on.enter_context(step.on())
                time.sleep(step.then_s)  # a schedule: how long the fault lasts
            if before_heal:
                before_heal(sale)
        return hit

    return inject


def note_orders_waiting(sale):
    """How many purchases answered 200 are still without their order."""
    bought = set(sale.crowd.bought)
    sale.seen["waiting"] = len(bought - orders.gids_with_orders(sale.mysql, bought))


# DTM's answers slowed by 500 ms first, so that purchases wait in prepare with their deduction
# next; then Redis's answers go silent for a second longer than the service waits for one. A
# prepared purchase first notes its gid for the live page (a write that gives up, unheard,
# after redis_client.TIMEOUT_S), then deducts on a new connection: Redis runs the script, and
# its reply is lost with the connection, which Toxiproxy closes when the toxic is healed.
DEDUCTION_REPLY_LOST = toxics(
    Toxic("dtm", "latency", REPLIES, {"latency": 500}, then_s=0.3),
    Toxic("redis", "timeout", REPLIES, SILENT, then_s=redis_client.TIMEOUT_S + 1),
)
# DTM's answers to the service silent for 2 s: each prepare sent meanwhile is stored, unheard.
PREPARE_REPLY_LOST = toxics(Toxic("dtm", "timeout", REPLIES, SILENT, then_s=2))
# Redis's answers slowed by 1 s, so that purchases sit between prepare and submit; then DTM's
# answers silent for 2 s, as their submits arrive.
SUBMIT_REPLY_LOST = toxics(
    Toxic("redis", "latency", REPLIES, {"latency": 1000}, then_s=1.5),
    Toxic("dtm", "timeout", REPLIES, SILENT, then_s=2),
)
# The service's answers to DTM silent for 3 s: createOrder commits, DTM never hears.
CREATE_ORDER_REPLY_LOST = toxics(Toxic("busi", "timeout", REPLIES, SILENT, then_s=3))
# Nothing the service sends reaches DTM for 20 s.
SERVICE_CUT_FROM_DTM = toxics(Toxic("dtm", "timeout", REQUESTS, SILENT, then_s=20))
# Nothing DTM sends reaches the service (createOrder, back-queries) for 20 s.
DTM_CUT_FROM_SERVICE = toxics(Toxic("busi", "timeout", REQUESTS, SILENT, then_s=20), before_heal=note_orders_waiting)
PAYERS, WALLET = 6, Decimal("100.00")  # buyers who pay during the charge row, and their balance
# One order per buyer: each payer's wallet must tell its one charge.
_ORDERS_TO_PAY = text(
    "SELECT MIN(gid), user_id FROM orders WHERE product_id = :p AND status = :s GROUP BY user_id LIMIT :n"
)


def charge_reply_lost(sale):
    """PAYERS buyers pay while DTM's calls to the service arrive 1 s late. Once DTM has heard
    every claim, the service's answers go silent: the charges, already on their way, arrive
    and run, and their answers are lost. DTM calls each again (5 s later), and its barrier
    keeps one charge. What each wallet held before is noted for charge_held_once.

    The silence is on the answers and the delay on the calls: two chains of toxics. A toxic
    put on after another in the same direction would first flush what that one holds."""
    hit = sale.crowd.sold
    wait.until(lambda: len(_created_orders(sale)) >= PAYERS, 30, f"{PAYERS} orders to pay")
    payers = _created_orders(sale)
    client = sale.crowd.client
    for _, user in payers:
        client.post("wallet", user_id=user, balance=str(WALLET)).raise_for_status()
    since = time.time()
    with ThreadPoolExecutor(PAYERS) as pool, ExitStack() as on:
        on.enter_context(Toxic("busi", "latency", REQUESTS, {"latency": 1000}, then_s=0).on())
        answers = [pool.submit(client.post, "pay", gid=gid) for gid, _ in payers]
        wait.until(lambda: _claims_heard(sale, since), 30, "DTM to hear every claim", interval_s=0.05)
        on.enter_context(Toxic("busi", "timeout", REPLIES, SILENT, then_s=0).on())
        wait.until(lambda: _all_charged(client, payers), 30, "every payer's charge to run")
        time.sleep(1)  # a schedule: the silence outlasts the last charge by 1 s, its answer with it
    sale.seen["payers"] = payers
    sale.seen["pay answers"] = [answer.result().status_code for answer in answers]
    return hit


def _claims_heard(sale, since):
    """Every payment saga of the row has its claim's answer stored by DTM: its charge is sent."""
    transactions = dtm_records.dtm_transactions(sale.dtm, sale.product, since)
    pays = [gid for gid in transactions if payment.is_payment(gid)]
    return len(pays) >= PAYERS and all(_heard(sale.dtm.query(gid), "/claimOrder") for gid in pays)


def _heard(record, branch):
    """DTM stored the action of `branch` (a URL's end) as succeeded: it heard its answer."""
    done = ("action", "succeed")
    return any(b["url"].endswith(branch) and (b["op"], b["status"]) == done for b in record["branches"])


def _all_charged(client, payers):
    return all(Decimal(client.get("wallet", user_id=user).json()["balance"]) < WALLET for _, user in payers)


def _created_orders(sale):
    with sale.mysql.connect() as conn:
        found = conn.execute(_ORDERS_TO_PAY, {"p": sale.product, "s": orders.CREATED, "n": PAYERS})
        return [tuple(row) for row in found]


def charge_held_once(sale):
    """Once DTM has finished every payment: each payer's wallet was charged the order's price
    (the unit price x its units) if the order is paid, and nothing otherwise. The witness:
    charges DTM delivered again."""
    since = time.time() - 600
    wait.until(
        lambda: all(
            t["status"] in FINAL
            for gid, t in dtm_records.dtm_transactions(sale.dtm, sale.product, since).items()
            if payment.is_payment(gid)
        ),
        120,
        "the payment sagas to finish",
    )
    client = sale.crowd.client
    price = Decimal(client.get(f"products/{sale.product}").json()["price"])
    for gid, user in sale.seen["payers"]:
        order = client.get("order", gid=gid).json()
        charged = WALLET - Decimal(client.get("wallet", user_id=user).json()["balance"])
        status = order["status"]
        if charged != (price * order["amount"] if status == orders.PAID else 0):
            sale.problems.append(f"order {gid} is {status}, and its buyer {user} was charged {charged}")
    delivered_again = service_log_lines("charge delivered again")(sale)
    codes = sale.seen["pay answers"]
    answered = ", ".join(f"{codes.count(code)} x {code}" for code in sorted(set(codes)))
    return f"{delivered_again}; pays answered {answered}" if delivered_again else ""


# Every connection from the service to MySQL reset (a TCP RST) for 1 s, whatever it is in the
# middle of: createOrder's transactions among them.
MYSQL_RESETS = toxics(Toxic("mysql", "reset_peer", REQUESTS, {"timeout": 0}, then_s=1))


def answered_5xx_yet_bought(sale):
    errored = {gid for outcome in sale.outcomes for gid in outcome.errored_gids}
    bought = orders.gids_with_orders(sale.mysql, errored)
    return f"{len(bought)} answered 5xx, bought" if bought else ""


def prepared_unheard_then_failed(sale):
    errored = {gid for outcome in sale.outcomes for gid in outcome.errored_gids}
    failed = {gid for gid in errored if sale.audit.dtm_status.get(gid) == "failed"}
    return f"{len(failed)} answered 5xx, held by DTM, rolled back" if failed else ""


def service_log_lines(pattern):
    """A witness: how many lines of the service's log, about this sale's product, match pattern."""

    def witness(sale):
        tag = re.escape(hash_tag(sale.product))
        found = re.findall(rf"gid={tag}-\S* .*{pattern}", sale.service_log.read_text())
        return f"{len(found)} in the log" if found else ""

    return witness


def unanswered_tries(sale):
    retried = sum(outcome.attempts - 1 for outcome in sale.outcomes)
    return f"{retried} tries unanswered" if retried else ""


def orders_waited(sale):
    waiting = sale.seen.get("waiting", 0)
    return f"{waiting} orders waited for the link" if waiting else ""


NETWORK_FAULTS = [
    Fault(
        "deduction_reply_lost",
        "the deduction's reply is lost",
        DEDUCTION_REPLY_LOST,
        link="redis",
        witness=answered_5xx_yet_bought,
    ),
    Fault(
        "prepare_reply_lost",
        "prepare's reply is lost",
        PREPARE_REPLY_LOST,
        link="dtm",
        witness=prepared_unheard_then_failed,
    ),
    Fault(
        "submit_reply_lost", "submit's reply is lost", SUBMIT_REPLY_LOST, link="dtm", witness=answered_5xx_yet_bought
    ),
    Fault(
        "create_order_reply_lost",
        "createOrder's reply to DTM is lost",
        CREATE_ORDER_REPLY_LOST,
        link="busi",
        witness=service_log_lines("already created, delivery ignored"),
    ),
    Fault(
        "service_cut_from_dtm",
        "the service cannot reach DTM for 20 s",
        SERVICE_CUT_FROM_DTM,
        link="dtm",
        witness=unanswered_tries,
    ),
    Fault(
        "dtm_cut_from_service",
        "DTM cannot reach the service for 20 s",
        DTM_CUT_FROM_SERVICE,
        link="busi",
        witness=orders_waited,
    ),
    Fault(
        "charge_reply_lost",
        "the payment's charge answer is lost",
        charge_reply_lost,
        link="busi",
        witness=charge_held_once,
    ),
    Fault(
        "mysql_resets",
        "MySQL's link resets mid-createOrder",
        MYSQL_RESETS,
        link="mysql",
        witness=service_log_lines("/createOrder failed"),
    ),
    REDIS_LATE,  # last: its service is restarted to call the first service's branches
]
