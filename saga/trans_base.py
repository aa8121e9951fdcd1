"""What a two-phase message and a saga share: the pooled client, the per-transaction options
DTM reads from the transaction's JSON, and submit (DTM's client keeps these in TransBase)."""

from saga import branch_seal, branch_token


class Trans:
    """Mixed into Msg and Saga, on top of dtmcli's classes, which keep the steps and payloads."""

    def _use(self, client, timeout_to_fail=0, retry_interval=0, branch_headers=None, branch_secret=None):
        """timeout_to_fail: seconds before DTM gives up on the transaction (msg: back-queries it;
        0: the server's default); retry_interval: seconds before DTM retries a failed branch,
        doubling each time (0: the server's 10 s); branch_headers: sent by DTM with every branch
        call; branch_secret: if set, the branch token goes with them, and every step's payload
        is sealed for its branch (branch_token.py, branch_seal.py)."""
        self.client = client
        self.branch_secret = branch_secret
        self.trans_base.request_timeout = client.timeout
        self.trans_base.timeout_to_fail = timeout_to_fail
        self.trans_base.retry_interval = retry_interval
        self.trans_base.branch_headers = dict(branch_headers or {})
        if branch_secret:
            self.trans_base.branch_headers.update(branch_token.headers(branch_secret, self.gid))

    def _sealed(self, payload, action_url, compensate_url=""):
        """The payload of the step about to be added, sealed if this transaction has a secret."""
        if not self.branch_secret:
            return payload
        branch = branch_seal.branch_id(len(self.trans_base.steps))
        return branch_seal.seal(self.branch_secret, self.gid, branch, payload, action_url, compensate_url)

    @property
    def gid(self):
        return self.trans_base.gid

    def submit(self, timeout=None):
        self.client.call("submit", self.trans_base.__dict__, timeout)
