"""An HTTP client of the business service, for the simulations and the tests."""

from concurrent.futures import ThreadPoolExecutor

import requests
import requests.auth
from requests.adapters import HTTPAdapter

from busi.domain.credentials import Credentials

# A purchase may wait in gunicorn's queue behind hundreds of others.
TIMEOUT_S = 60
BAD_GATEWAY = 502
# The payment window of the products that loads, sales and tests make: their unpaid orders must
# not expire during a later run (the expiry sweeper acts on every order in MySQL, the HA stack's
# too, which shares this MySQL and not the single stack's Redis). A test of expiry sets its own.
UNPAID_FOR_S = 7 * 86400
# The units the buyers of a simulated crowd buy, in turn: orders of one unit and of several
# (compare, the fault matrix, chaos, sale), so that every count is checked in units.
MIXED_QUANTITIES = (1, 1, 2, 3)


def quantity_of(buyer):
    """The units buyer number `buyer` (1, 2, ...) of a crowd buys."""
    return MIXED_QUANTITIES[(buyer - 1) % len(MIXED_QUANTITIES)]


class Bearer(requests.auth.AuthBase):
    """Sends `Authorization: Bearer <credential()>`: a new credential each request, so that a
    long-lived client never sends an expired one."""

    def __init__(self, credential):
        self.credential = credential

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.credential()}"
        return request


class BusiClient:
    """credential: a function giving the bearer credential its requests carry (e.g.
    Credentials.for_operator, docs/security.md); None: they carry none."""

    def __init__(self, busi_url, credential=None):
        self.url = busi_url.rstrip("/")
        self.auth = Bearer(credential) if credential else None
        self.session = self.pooled_session(16)

    def pooled_session(self, pool_size):
        session = pooled_session(pool_size)
        session.auth = self.auth
        return session

    def header_lines(self):
        """The credential as a command line's headers (wrk -H)."""
        return [f"Authorization: Bearer {self.auth.credential()}"] if self.auth else []

    def get(self, path, **params):
        return self.session.get(f"{self.url}/{path}", params=params, timeout=TIMEOUT_S)

    def post(self, path, session=None, **params):
        return (session or self.session).post(f"{self.url}/{path}", params=params, timeout=TIMEOUT_S)

    def put(self, path, **params):
        return self.session.put(f"{self.url}/{path}", params=params, timeout=TIMEOUT_S)

    # strategy=None: the service's default (dtm); requests leaves None parameters out.
    def reset(self, stock, product_id=1, strategy=None, pay_within_s=None, limit_per_buyer=None):
        return self._json(
            self.post(
                "reset",
                stock=stock,
                product_id=product_id,
                strategy=strategy,
                pay_within_s=pay_within_s,
                limit_per_buyer=limit_per_buyer,
            )
        )

    def stock(self, product_id=1, strategy=None):
        return self._json(self.get("stock", product_id=product_id, strategy=strategy))["stock"]

    def order_count(self, product_id=1, strategy=None):
        return self._json(self.get("orders", product_id=product_id, strategy=strategy))["count"]

    def units_ordered(self, product_id=1, strategy=None):
        """The units in the product's orders, whatever their status."""
        return self._json(self.get("orders", product_id=product_id, strategy=strategy))["units"]

    def purchase(self, user_id, product_id=1, session=None, strategy=None, quantity=None):
        return self.post(
            "flashSales", session=session, user_id=user_id, product_id=product_id, strategy=strategy, quantity=quantity
        )

    def crash_purchase(self, user_id, product_id=1, strategy=None, quantity=None):
        """A purchase whose worker dies after deducting: returns the response if one came
        back (it should not), None when the connection dropped as expected."""
        try:
            response = self.post(
                "flashSales-crash", user_id=user_id, product_id=product_id, strategy=strategy, quantity=quantity
            )
        except requests.ConnectionError:
            return None
        # Through a load balancer (the HA stack), the dropped connection comes back as its 502.
        return None if response.status_code == BAD_GATEWAY else response

    def purchase_many(self, user_ids, product_id=1, strategy=None):
        """One purchase per user id, all at once, each on its own connection; the
        responses in the same order."""
        crowd = self.pooled_session(len(user_ids))
        with crowd, ThreadPoolExecutor(max_workers=len(user_ids)) as pool:
            return list(pool.map(lambda user: self.purchase(user, product_id, crowd, strategy), user_ids))

    @staticmethod
    def _json(response):
        response.raise_for_status()
        return response.json()


def operator_client(config, busi_url=None):
    """A client of config's service (or of busi_url) that acts as the operator, its credentials
    signed with config's AUTH_SECRET (the local stack's, in $RUN_DIR/auth_secret)."""
    return BusiClient(busi_url or config.busi_url, Credentials.of(config).for_operator)


def pooled_session(pool_size):
    """A requests Session keeping up to pool_size connections to one host."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool_size))
    return session
