"""The shop around the sale: products (the catalogue in MySQL, their stock in Redis), wallets,
and payment, a DTM saga (busi/domain/payment.py)."""

import logging
from http import HTTPStatus

from flask import Blueprint
from sqlalchemy.exc import DataError

from busi import services
from busi.adapters import orders, products, stock, wallets
from busi.domain import payment
from busi.domain.refusals import InvalidInput, NotFound
from busi.domain.strategies import DEFAULT, STRATEGIES, strategy_of
from busi.entrypoints import access
from busi.entrypoints.inputs import (
    INT_COLUMN_MAX,
    LIMIT_PER_BUYER,
    absent,
    params,
    parse_int,
    parse_limit,
    parse_money,
    parse_text,
)
from busi.entrypoints.purchases import ANY
from saga import DtmFailure, DtmUnfinished
from saga.result import STATUS_FAILURE, answer_for

log = logging.getLogger(__name__)
bp = Blueprint("shop", __name__)
NAME_MAX = 200
KEEP = object()  # a limit not given: left as it is


@bp.route("/pay", methods=ANY)
def pay():
    return pay_answer()


def pay_answer(crash_at=None):
    """Pay an order, named by its purchase's gid or its id, for its buyer; 200 paid, 409 declined
    (why), 202 while DTM still runs the payment (a branch's answer was lost or is late)."""
    order = buyers_order()
    gid = payment.new_gid(order)
    try:
        price = payment.pay(services(), order, gid, crash_at)
    except DtmFailure as err:  # declined, and DTM has run the compensations: nothing was taken
        body, _ = answer_for(err)
        return {**body, "gid": gid, "order_gid": order["gid"]}, STATUS_FAILURE
    except DtmUnfinished as err:  # DTM retries the branch and finishes the saga, paid or declined
        log.warning("gid=%s %s", gid, err)
        return {
            "status": orders.PAYING,
            "gid": gid,
            "order_gid": order["gid"],
            "message": "the payment is under way: DTM is finishing it; GET /order shows when it is paid",
        }, HTTPStatus.ACCEPTED
    return {
        "status": orders.PAID,
        "gid": gid,
        "order_gid": order["gid"],
        "order_id": order["id"],
        "user_id": order["user_id"],
        "charged": str(price),
    }


@bp.get("/order")
def get_order():
    """One order, named by its purchase's gid or its id, for its buyer."""
    return buyers_order()


def buyers_order():
    """The order the request names (gid= or order_id=), if the caller may act for its buyer.
    Another buyer's order is a 404, as a missing one: a stranger learns neither that it exists
    nor whose it is."""
    values = params()
    caller = access.required_holder("an order, its buyer's,")
    if absent(values, "gid"):
        order = orders.order(services().mysql, order_id=parse_int(values, "order_id", minimum=1))
    else:
        order = orders.order(services().mysql, gid=parse_text(values, "gid", 128))
    if order is None or not caller.may_act_for(order["user_id"]):
        raise NotFound(
            "no such order of yours: pass gid=<the purchase's gid> or order_id=<id>, with the credential "
            "of its buyer; its order may still be on its way (DTM creates it right after the purchase)"
        )
    return order


@bp.get("/wallet")
def wallet():
    """A buyer's balance: user_id, or by default the credential's buyer."""
    values = params()
    caller = access.required_holder("a wallet, its buyer's,")
    if "user_id" not in values and caller.buyer is not None:
        user_id = caller.buyer
    else:
        user_id = parse_int(values, "user_id", minimum=1)
    caller.require_buyer(user_id)
    return {"user_id": user_id, "balance": str(wallets.balance(services().mysql, user_id))}


@bp.post("/products")
@access.operator_only
def create_product():
    values = params()
    name, price = parse_text(values, "name", NAME_MAX), parse_money(values, "price")
    units = parse_int(values, "stock", maximum=INT_COLUMN_MAX)
    window = parse_int(values, "pay_within_s", default=None, minimum=1, maximum=INT_COLUMN_MAX)
    limit = parse_limit(values, default=None)
    svc = services()
    with svc.mysql.begin() as conn:
        product_id = products.create(conn, name, price, window)
    stock.reset_stock(svc.redis, product_id, units, limit=limit)
    log.info("product %s created: %r at %s, stock %s, limit per buyer %s", product_id, name, price, units, limit)
    return one_product(product_id), 201


@bp.get("/products")
def list_products():
    """Newest first; their stocks and order counts read in one round trip each."""
    svc = services()
    latest = products.latest(svc.mysql)
    ids = [product["id"] for product in latest]
    counts = orders.counts_by_status(svc.mysql, ids)
    return {
        "products": [
            product_view(product, units, counts[product["id"]], limit)
            for product, units, limit in zip(
                latest, stock.get_stocks(svc.redis, ids, with_added=True), stock.get_limits(svc.redis, ids), strict=True
            )
        ]
    }


@bp.get("/products/<int:product_id>")
def get_product(product_id):
    return one_product(product_id)


@bp.put("/products/<int:product_id>/inventory")
@access.operator_only
def set_inventory(product_id):
    """Set the units on sale now, at any moment: whatever was left is replaced, and the ledger of
    units added moves by the difference, in one step (stock.set_stock). A unit sold a moment
    before stays in its order, counted once; a unit an order gives back later comes on top.
    And/or set the limit per buyer (`none` removes it): purchases read it in their own step."""
    values = params()
    if absent(values, "stock") and LIMIT_PER_BUYER not in values:
        raise InvalidInput(f"pass stock=<units on sale>, {LIMIT_PER_BUYER}=<units per buyer or none>, or both")
    units = None if absent(values, "stock") else parse_int(values, "stock", maximum=INT_COLUMN_MAX)
    limit = parse_limit(values, default=KEEP)
    one_product(product_id)  # a 404 for an unknown product
    if limit is not KEEP:
        STRATEGIES[DEFAULT].set_limit(services(), product_id, limit)
    if units is not None:
        stock.set_stock(services().redis, product_id, units)
        STRATEGIES[DEFAULT].stock_set(product_id)
    return one_product(product_id)


@bp.post("/products/<int:product_id>/restock")
@access.operator_only
def restock(product_id):
    """Add `units` to what is left, at any moment, in one step with the purchases: of the
    product (the shop's strategy), or of a demo product of ?strategy= (its stock set by reset)."""
    values = params()
    units = parse_int(values, "units", minimum=1, maximum=INT_COLUMN_MAX)
    strategy = strategy_of(values)
    if strategy.name == DEFAULT:
        one_product(product_id)  # a 404 for an unknown product
    try:
        left = strategy.restock(services(), product_id, units)
    except DataError:  # a MySQL strategy's INT column
        raise InvalidInput(f"units={units} would take product {product_id}'s stock past {INT_COLUMN_MAX}") from None
    log.info("product %s (%s) restocked: %s units added, %s left", product_id, strategy.name, units, left)
    if strategy.name == DEFAULT:
        return one_product(product_id)
    return {"id": product_id, "strategy": strategy.name, "stock": left}


def one_product(product_id):
    svc = services()
    product = products.get(svc.mysql, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}: see GET /api/busi/products")
    [units] = stock.get_stocks(svc.redis, [product_id], with_added=True)
    limit = stock.get_limit(svc.redis, product_id)
    return product_view(product, units, orders.count_by_status(svc.mysql, product_id), limit)


def product_view(product, units, by_status, limit):
    """A product as the API shows it: with its stock left, the units ever added (a product from
    before that ledger has none), its orders and the units in them by status, and its limit
    per buyer (None: none). units: (left, added); by_status: orders.count_by_status's."""
    return {
        "id": product["id"],
        "name": product["name"],
        "price": str(product["price"]),
        "pay_within_s": product["pay_within_s"] or services().config.pay_within_s,
        "stock": units[0],
        "units_added": units[1],
        "orders": by_status["orders"],
        "units_ordered": by_status["units"],
        LIMIT_PER_BUYER: limit,
    }
