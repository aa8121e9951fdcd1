"""Purchase strategies: the same purchase six ways, each with its own stock and orders, so
that a run of one cannot disturb another. Chosen per request by ?strategy=NAME (default dtm).

| strategy  | stock            | orders           | what it does                                                  |
|-----------|------------------|------------------|---------------------------------------------------------------|
| naive     | naive_stock      | naive_orders     | read, check, UPDATE, INSERT in a transaction, no lock: oversells |
| rowlock   | rowlock_stock    | rowlock_orders   | the same in one transaction with SELECT ... FOR UPDATE        |
| reserve   | reserve_stock    | reserve_orders   | one conditional UPDATE of available and reserved, one trans.  |
| procedure | procedure_stock  | procedure_orders | reserve's statements as a stored procedure: one round trip    |
| twostores | Redis {pN}-twostores-stock | twostores_orders | Lua deduction, then the INSERT, no transaction manager |
| dtm       | Redis {pN}-stock | orders           | the two-phase message (busi/domain/flash_sale.py)             |
"""

from busi.domain.refusals import InvalidInput
from busi.domain.strategies.base import QUANTITY_MAX, OverLimit, SoldOut, Strategy, UnknownProduct
from busi.domain.strategies.dtm import Dtm
from busi.domain.strategies.naive import Naive
from busi.domain.strategies.procedure import Procedure
from busi.domain.strategies.reserve import Reserve
from busi.domain.strategies.rowlock import Rowlock
from busi.domain.strategies.twostores import TwoStores

STRATEGIES = {s.name: s for s in (Naive(), Rowlock(), Reserve(), Procedure(), TwoStores(), Dtm())}
DEFAULT = "dtm"

__all__ = [
    "DEFAULT",
    "QUANTITY_MAX",
    "STRATEGIES",
    "OverLimit",
    "SoldOut",
    "Strategy",
    "UnknownProduct",
    "strategy_of",
]


def strategy_of(values):
    """The strategy a request names (?strategy=), the default when it names none."""
    name = values.get("strategy") or DEFAULT
    if not isinstance(name, str) or name not in STRATEGIES:
        raise InvalidInput(f"unknown strategy={name!r}: use one of {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
