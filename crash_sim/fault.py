"""What a row of the fault matrix is (crash_sim/faults.py runs them): a fault, how it is
injected into a sale, and how the row shows that it really happened."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crash_sim.crowd import Crowd


@dataclass
class Sale:
    """One row's sale, as its fault and its witness see it."""

    crowd: Crowd
    product: int
    mysql: object  # the auditor's engine
    dtm: object  # the auditor's DtmClient
    service_log: Path  # the log of the service the crowd buys from
    redis_url: str = ""  # the stack's Redis, for a witness that reads Redis's own record
    seen: dict = field(default_factory=dict)  # what the fault noted while it was on
    outcomes: list = field(default_factory=list)  # the shoppers', once the sale is over
    audit: object = None  # the auditor's last reading (crash_sim/audit.py), once settled
    problems: list = field(default_factory=list)  # what the row's own checks found broken (its money)


@dataclass(frozen=True)
class Fault:
    key: str  # for --only and the tests
    label: str
    inject: Callable[[Sale], int]  # injects it; returns the units sold when it hit
    server: str = ""  # the local server it kills or stops, if any
    # Through Toxiproxy: the sale goes to the service whose every link passes a proxy
    # (scripts/stack.sh rtt-up), and the fault is a toxic on one link and direction.
    link: str = ""
    # With a link: DTM calls the branches (createOrder, the back-query) of the first service,
    # whose links are direct (scripts/stack.sh rtt-up main), not of the one the sale goes to.
    branches_on_main: bool = False
    # Injected once the operator's restock is done (half the stock sold), not at a quarter: a
    # restock sent into a fault that stalls every purchase lands in the rush that its healing
    # lets go, after buyers who wanted one unit were told "sold out", and units go unsold.
    after_restock: bool = False
    # What shows that the fault really happened, read once the sale has settled; "" if nothing
    # does (then the row tested nothing). None: the row's tests check it their own way.
    witness: Callable[[Sale], str] | None = None
