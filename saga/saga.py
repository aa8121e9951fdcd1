"""The saga: steps run in order, each an action with a compensation. When an action says no
(FAILURE), DTM calls the compensations of every step that ran, in reverse order, and the saga
ends failed; an error is retried, never compensated. A compensation must always succeed in
the end (DTM retries it forever), which the barrier makes possible: compensating an action
that never committed does nothing."""

import json

from dtmcli.saga import Saga as DtmcliSaga

from saga.result import DtmFailure, DtmUnfinished
from saga.trans_base import Trans

# With wait_result DTM runs the saga's first round before answering submit, for up to its
# request_timeout + 2 s; the client waits a little longer than that.
WAIT_MARGIN_S = 3


class Saga(Trans, DtmcliSaga):
    """dtmcli's Saga keeps the steps (add(payload, action, compensate)) and payloads; submit
    goes through the pooled DtmClient. Sequential only: dtmcli's concurrent mode is broken."""

    def __init__(self, client, gid, retry_interval=0, branch_headers=None, branch_secret=None):
        DtmcliSaga.__init__(self, client.url, gid)
        self._use(client, retry_interval=retry_interval, branch_headers=branch_headers, branch_secret=branch_secret)

    def add(self, payload, action_url, compensate_url):
        return DtmcliSaga.add(self, self._sealed(payload, action_url, compensate_url), action_url, compensate_url)

    def submit_and_wait(self):
        """Submit and let DTM run the saga before answering. Returns if it succeeded; raises
        DtmFailure(reason) if it failed (compensations done); DtmUnfinished while DTM still
        runs it (a branch is being retried): DTM finishes it without us."""
        self.trans_base.wait_result = True
        try:
            self.submit(timeout=self.trans_base.request_timeout + WAIT_MARGIN_S)
        except DtmFailure:  # failed, or not finished yet: only DTM's record tells which
            trans = self.client.query(self.gid)["transaction"] or {}
            if trans.get("status") == "failed":
                raise DtmFailure(reason_of(trans.get("rollback_reason", ""))) from None
            raise DtmUnfinished(
                f"saga {self.gid} is {trans.get('status', 'unknown')}: DTM is still running it and will finish it"
            ) from None


def reason_of(rollback_reason):
    """The `error` a branch's FAILURE answer gave, from the rollback_reason DTM stored
    ("url:... return failed: {answer body} failure"); the whole text if it holds none."""
    start, end = rollback_reason.find("{"), rollback_reason.rfind("}")
    try:
        return json.loads(rollback_reason[start : end + 1]).get("error") or rollback_reason
    except (ValueError, AttributeError):
        return rollback_reason
