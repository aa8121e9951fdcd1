"""A flash-sale crowd: `buyers` shoppers, `concurrency` at a time, each buying the units
`quantities` gives them in turn (one each, by default).

Shoppers arrive `arrivals_per_s` a second, so that a sale lasts long enough for a fault to
land in the middle of it. A shopper keeps trying, as people do, until the shop says yes
(200), sold out (409) or no (another 4xx): an error, a dropped connection or a refused one
(a server down) means try again shortly, each time as a new purchase. Crash purchases armed
by the fault matrix are handed to the next shoppers in line, so the crowd itself carries them.
"""

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from busi.scenarios.client import TIMEOUT_S

RETRY_PAUSE_S = 0.1


@dataclass
class Outcome:
    user_id: int
    status: int | None  # 200 bought, 409 sold out, another 4xx refused, None gave up at the deadline
    gid: str | None
    attempts: int
    errored_gids: list  # gids of this shopper's tries answered 5xx: begun, outcome unknown to the shopper


class Crowd:
    def __init__(
        self,
        client,
        product_id,
        buyers,
        concurrency,
        arrivals_per_s,
        deadline_s,
        first_user=1,
        quantities=(1,),
        shoppers_per_user=1,
    ):
        """client: a BusiClient that may act for every buyer (the operator's). `buyers` shoppers
        arrive in turn, buying quantities[0], quantities[1], ... units; each `shoppers_per_user`
        in a row are one user (first_user, first_user + 1, ...), who so buys more than once."""
        self.client = client
        self.product_id = product_id
        self.buyers = buyers
        self.first_user = first_user
        self.concurrency = concurrency
        self.arrival_gap_s = 1 / arrivals_per_s
        self.deadline_s = deadline_s
        self.quantities = quantities
        self.shoppers_per_user = shoppers_per_user
        self.sold = 0  # units bought so far (purchases answered 200)
        self.bought = set()  # their gids
        self.on_sold = []  # (units, callback): callback() once `units` units are bought
        self._crashes = deque()  # crash points armed for the next purchases
        self._lock = threading.Lock()

    def arm(self, crash_point, count=1):
        """The next `count` purchases go to flashSales-crash?at=crash_point."""
        self._crashes.extend([crash_point] * count)

    def run(self):
        """All shoppers, until each has an answer or the deadline; their outcomes."""
        start = time.monotonic()
        deadline = start + self.deadline_s
        session = self.client.pooled_session(self.concurrency)
        with session, ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda shopper: self._shop(session, shopper, start, deadline), range(self.buyers)))

    def _shop(self, session, shopper, start, deadline):
        """Shopper number `shopper` (0, 1, ...): its arrival, its tries, its Outcome."""
        user_id = self.first_user + shopper // self.shoppers_per_user
        quantity = self.quantities[shopper % len(self.quantities)]
        arrival = start + shopper * self.arrival_gap_s
        time.sleep(max(0.0, arrival - time.monotonic()))  # a schedule, not a wait for a condition
        attempts, errored = 0, []
        while True:
            attempts += 1
            status, gid = self._attempt(session, user_id, quantity)
            if status is not None and (status == 200 or 400 <= status < 500):  # yes, sold out, or no
                if status == 200:
                    self._count_sale(gid, quantity)
                return Outcome(user_id, status, gid, attempts, errored)
            if gid:
                errored.append(gid)
            if time.monotonic() >= deadline:
                return Outcome(user_id, None, None, attempts, errored)
            time.sleep(RETRY_PAUSE_S)

    def _attempt(self, session, user_id, quantity):
        params = {"user_id": user_id, "product_id": self.product_id, "quantity": quantity}
        try:
            params["at"] = self._crashes.popleft()
            path = "flashSales-crash"
        except IndexError:
            path = "flashSales"
        try:
            response = session.post(f"{self.client.url}/{path}", params=params, timeout=TIMEOUT_S)
        except requests.RequestException:
            return None, None
        try:  # no gid: sold out before any transaction, or an error before one began
            return response.status_code, response.json().get("gid")
        except ValueError:  # not JSON: a proxy's or a dying server's answer
            return response.status_code, None

    def _count_sale(self, gid, units):
        with self._lock:
            before, self.sold = self.sold, self.sold + units
            self.bought.add(gid)
            due = [callback for threshold, callback in self.on_sold if before < threshold <= self.sold]
        for callback in due:
            callback()
