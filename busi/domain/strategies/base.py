"""What every purchase strategy is: one contract, so that the endpoints, the comparison and
the benchmark treat the six alike (busi/domain/strategies/__init__.py lists them)."""

from busi.adapters import orders, stock
from busi.domain.refusals import InvalidInput
from saga.result import DtmFailure

# Every strategy's first write is its deduction; a crash right after it is the one that
# tells the strategies apart (flashSales-crash?strategy=NAME). dtm has more points (crash.POINTS).
AFTER_FIRST_WRITE = "after_deduct"


# The most units one purchase may take: a flash sale's order is a few pieces, and a bound
# keeps a typo (10^9) a 400 instead of a sold-out answer.
QUANTITY_MAX = 1_000


class SoldOut(DtmFailure):
    """Fewer units left than the purchase asked for: a 409, and nothing changed."""

    code = "sold_out"

    def __init__(self, product_id, quantity=1):
        super().__init__(
            f"product {product_id} is sold out"
            if quantity == 1
            else f"product {product_id} has fewer than {quantity} units left: nothing taken"
        )


class OverLimit(DtmFailure):
    """The buyer would hold more units of the product than its limit per buyer: a 409, and
    nothing changed."""

    code = "over_limit"

    def __init__(self, product_id, user_id, quantity):
        super().__init__(
            f"user {user_id} may not buy {quantity} more of product {product_id}: that would pass its limit "
            "per buyer (units held across orders; an expired order's units count no more)"
        )


class UnknownProduct(InvalidInput):
    """The product has no stock in this strategy's store: a 400."""

    def __init__(self, product_id, strategy):
        super().__init__(
            f"unknown product_id {product_id} for strategy {strategy}: it has no stock; create it "
            f"with POST /api/busi/reset?strategy={strategy}&product_id={product_id}&stock=N"
        )


class Strategy:
    """A way to sell one unit. Subclasses set `name` and implement these methods; they raise
    SoldOut or UnknownProduct, never a status code. Every strategy's orders are in a table of
    the same shape, `<name>_orders` unless a subclass says otherwise."""

    name = ""
    crash_points = (AFTER_FIRST_WRITE,)

    @property
    def order_table(self):
        return f"{self.name}_orders"

    def refuse_early(self, svc, product_id, quantity):
        """Raise SoldOut or UnknownProduct if that is certain before starting a purchase;
        a strategy without a cheap certain answer lets purchase() find out."""

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        """Sell `quantity` units to user_id under gid, all of them in one atomic step or none
        (SoldOut); crash_at: one of crash_points, for the demos."""
        raise NotImplementedError

    def purchase_once(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        """purchase(), for a caller who may send it again: gid derives from the caller's
        Idempotency-Key, and a purchase sent again answers as it did, never buying twice."""
        raise InvalidInput(
            f"strategy {self.name} takes no Idempotency-Key: only dtm tells a purchase sent again from a new one"
        )

    def settle(self, svc, product_id):
        """Wait until no unit of the product is deducted without its order, before a reset or a
        restock sets the stock; (the most units seen so, seconds waited). Every strategy but dtm
        deducts and orders within its request, so here there is nothing to wait for."""
        return 0, 0.0

    def reset(self, svc, product_id, units, limit=None):
        """The product gets `units` units, no orders (created if new), and `limit` units per
        buyer (None: no limit); settle() first."""
        raise NotImplementedError

    def limit_per_buyer(self, svc, product_id):
        """The most units one buyer may hold of the product, or None."""
        raise NotImplementedError

    def set_limit(self, svc, product_id, limit):
        """At most `limit` units per buyer from now on (None: no limit)."""
        raise NotImplementedError

    def restock(self, svc, product_id, units):
        """`units` more on sale, added in one step at any moment (a purchase in flight or not):
        the units left now. UnknownProduct for a product this strategy does not know."""
        raise NotImplementedError

    def stock(self, svc, product_id):
        """The units left, or None for a product this strategy does not know."""
        raise NotImplementedError

    def latest_orders(self, svc, product_id, limit=10):
        return orders.latest_orders(svc.mysql, product_id, limit, table=self.order_table)


class RedisStock(Strategy):
    """A strategy whose stock is a Redis key (stock.stock_key, of `stock_kind`)."""

    stock_kind = ""

    def reset(self, svc, product_id, units, limit=None):
        stock.reset_stock(svc.redis, product_id, units, self.stock_kind, limit)
        orders.delete_orders(svc.mysql, product_id, table=self.order_table)

    def limit_per_buyer(self, svc, product_id):
        return stock.get_limit(svc.redis, product_id, self.stock_kind)

    def set_limit(self, svc, product_id, limit):
        stock.set_limit(svc.redis, product_id, limit, self.stock_kind)

    def restock(self, svc, product_id, units):
        left = stock.add_stock(svc.redis, product_id, units, self.stock_kind)
        if left is None:
            raise UnknownProduct(product_id, self.name)
        return left

    def stock(self, svc, product_id):
        return stock.get_stock(svc.redis, product_id, self.stock_kind)
