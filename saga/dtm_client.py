"""HTTP to the DTM server and to a branch, over one pooled session per process.

dtmcli opens a new connection per call (`requests.post`); under a flash sale that is one
TCP handshake per prepare, submit and abort, so this client keeps a pooled Session.
"""
import requests
from requests.adapters import HTTPAdapter

from saga.result import DtmError, check_response

# DTM's own default per-call timeout; also what we ask DTM to use when it calls us.
REQUEST_TIMEOUT_S = 3


class DtmClient:
    def __init__(self, dtm_url, timeout=REQUEST_TIMEOUT_S, pool_size=32):
        self.url = dtm_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def call(self, operation, trans):
        """POST a transaction to DTM (prepare, submit, abort); raise unless SUCCESS."""
        self._checked("POST", f"{self.url}/{operation}", json=trans)

    def query(self, gid):
        """The transaction and its branches as DTM stores them (`transaction` is None if unknown)."""
        return self._read("query", gid=gid)

    def all_transactions(self, position="", limit=100):
        """One page of DTM's transactions in gid order, starting after `position`:
        (transactions, next position), the next position "" after the last page."""
        page = self._read("all", position=position, limit=limit)
        return page["transactions"], page["next_position"]

    def request_branch(self, url, gid, trans_type, branch_id, op, headers=None):
        """Call a branch URL as DTM would, with the transaction's branch_headers (used for
        our own back-query); raise unless SUCCESS."""
        params = {"gid": gid, "trans_type": trans_type, "branch_id": branch_id, "op": op}
        self._checked("GET", url, params=params, headers=headers)

    def _read(self, endpoint, **params):
        """GET one of DTM's read endpoints as JSON."""
        # Status code only: a stored rollback_reason may well contain the word FAILURE.
        response = self._send("GET", f"{self.url}/{endpoint}", params=params)
        if response.status_code != 200:
            raise DtmError(f"DTM {endpoint} {params} answered HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def _checked(self, method, url, **kwargs):
        response = self._send(method, url, **kwargs)
        check_response(response.status_code, response.text)

    def _send(self, method, url, **kwargs):
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            raise DtmError(f"{method} {url} failed: {err}") from err
