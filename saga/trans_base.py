"""What a two-phase message and a saga share: the pooled client, the per-transaction options
DTM reads from the transaction's JSON, and submit (DTM's client keeps these in TransBase)."""


class Trans:
    """Mixed into Msg and Saga, on top of dtmcli's classes, which keep the steps and payloads."""

    def _use(self, client, timeout_to_fail=0, retry_interval=0, branch_headers=None):
        """timeout_to_fail: seconds before DTM gives up on the transaction (msg: back-queries it;
        0: the server's default); retry_interval: seconds before DTM retries a failed branch,
        doubling each time (0: the server's 10 s); branch_headers: sent by DTM with every branch call."""
        self.client = client
        self.trans_base.request_timeout = client.timeout
        self.trans_base.timeout_to_fail = timeout_to_fail
        self.trans_base.retry_interval = retry_interval
        self.trans_base.branch_headers = dict(branch_headers or {})

    @property
    def gid(self):
        return self.trans_base.gid

    def submit(self, timeout=None):
        self.client.call("submit", self.trans_base.__dict__, timeout)
