"""The shop around the sale: products (the catalogue in MySQL, their stock in Redis), wallets,
and payment, a DTM saga (busi/domain/payment.py)."""

import logging

from flask import Blueprint

from busi import services
from busi.adapters import orders, products, stock, wallets
from busi.domain import payment
from busi.domain.refusals import NotFound
from busi.domain.strategies import DEFAULT, STRATEGIES
from busi.entrypoints import access
from busi.entrypoints.inputs import INT_COLUMN_MAX, absent, params, parse_int, parse_money, parse_text
from busi.entrypoints.purchases import ANY
from saga import DtmFailure
from saga.result import STATUS_FAILURE, answer_for

log = logging.getLogger(__name__)
bp = Blueprint("shop", __name__)
NAME_MAX = 200


@bp.route("/pay", methods=ANY)
def pay():
    return pay_answer()


def pay_answer(crash_at=None):
    """Pay an order, named by its purchase's gid or its id, for its buyer; 200 paid, 409 declined (why)."""
    order = buyers_order()
    gid = payment.new_gid(order)
    try:
        price = payment.pay(services(), order, gid, crash_at)
    except DtmFailure as err:  # declined, and DTM has run the compensations: nothing was taken
        body, _ = answer_for(err)
        return {**body, "gid": gid, "order_gid": order["gid"]}, STATUS_FAILURE
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
    svc = services()
    with svc.mysql.begin() as conn:
        product_id = products.create(conn, name, price, window)
    stock.set_stock(svc.redis, product_id, units)
    log.info("product %s created: %r at %s, stock %s", product_id, name, price, units)
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
            product_view(product, units, counts[product["id"]])
            for product, units in zip(latest, stock.get_stocks(svc.redis, ids), strict=True)
        ]
    }


@bp.get("/products/<int:product_id>")
def get_product(product_id):
    return one_product(product_id)


@bp.put("/products/<int:product_id>/inventory")
@access.operator_only
def set_inventory(product_id):
    """Set the stock, once the product's units in flight have become orders (settle). Refused
    while orders of it await payment: each may yet expire and give its unit back, on top of
    the stock set now."""
    units = parse_int(params(), "stock", maximum=INT_COLUMN_MAX)
    one_product(product_id)  # a 404 for an unknown product, before any wait
    STRATEGIES[DEFAULT].settle(services(), product_id)
    counts = one_product(product_id)["orders"]
    awaiting = counts.get(orders.CREATED, 0) + counts.get(orders.PAYING, 0)
    if awaiting:
        return {
            "error": f"{awaiting} orders of product {product_id} await payment; each may still expire and "
            "return its unit. Set the stock once they are paid or cancelled."
        }, 409
    stock.set_stock(services().redis, product_id, units)
    STRATEGIES[DEFAULT].stock_set(product_id)
    return one_product(product_id)


def one_product(product_id):
    svc = services()
    product = products.get(svc.mysql, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}: see GET /api/busi/products")
    return product_view(product, stock.get_stock(svc.redis, product_id), orders.count_by_status(svc.mysql, product_id))


def product_view(product, units, by_status):
    """A product as the API shows it: with its stock left and its orders by status."""
    return {
        "id": product["id"],
        "name": product["name"],
        "price": str(product["price"]),
        "pay_within_s": product["pay_within_s"] or services().config.pay_within_s,
        "stock": units,
        "orders": by_status,
    }
