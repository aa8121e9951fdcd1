"""An HTTP client of the business service, for the simulations and the tests."""

from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

# A purchase may wait in gunicorn's queue behind hundreds of others.
TIMEOUT_S = 60
BAD_GATEWAY = 502


class BusiClient:
    def __init__(self, busi_url):
        self.url = busi_url.rstrip("/")
        self.session = pooled_session(16)

    def get(self, path, **params):
        return self.session.get(f"{self.url}/{path}", params=params, timeout=TIMEOUT_S)

    def post(self, path, session=None, **params):
        return (session or self.session).post(f"{self.url}/{path}", params=params, timeout=TIMEOUT_S)

    # strategy=None: the service's default (dtm); requests leaves None parameters out.
    def reset(self, stock, product_id=1, strategy=None):
        return self._json(self.post("reset", stock=stock, product_id=product_id, strategy=strategy))

    def stock(self, product_id=1, strategy=None):
        return self._json(self.get("stock", product_id=product_id, strategy=strategy))["stock"]

    def order_count(self, product_id=1, strategy=None):
        return self._json(self.get("orders", product_id=product_id, strategy=strategy))["count"]

    def purchase(self, user_id, product_id=1, session=None, strategy=None):
        return self.post("flashSales", session=session, user_id=user_id, product_id=product_id, strategy=strategy)

    def crash_purchase(self, user_id, product_id=1, strategy=None):
        """A purchase whose worker dies after deducting: returns the response if one came
        back (it should not), None when the connection dropped as expected."""
        try:
            response = self.post("flashSales-crash", user_id=user_id, product_id=product_id, strategy=strategy)
        except requests.ConnectionError:
            return None
        # Through a load balancer (the HA stack), the dropped connection comes back as its 502.
        return None if response.status_code == BAD_GATEWAY else response

    def purchase_many(self, user_ids, product_id=1, strategy=None):
        """One purchase per user id, all at once, each on its own connection; the
        responses in the same order."""
        crowd = pooled_session(len(user_ids))
        with crowd, ThreadPoolExecutor(max_workers=len(user_ids)) as pool:
            return list(pool.map(lambda user: self.purchase(user, product_id, crowd, strategy), user_ids))

    @staticmethod
    def _json(response):
        response.raise_for_status()
        return response.json()


def pooled_session(pool_size):
    """A requests Session keeping up to pool_size connections to one host."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool_size))
    return session
