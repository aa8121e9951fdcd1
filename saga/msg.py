"""The two-phase message: prepare, run the local transaction behind a barrier, submit.

If the process dies between the local transaction and submit, the message stays prepared;
DTM then calls the back-query (query_prepared), which tells from the barrier whether the
local transaction committed, and DTM submits or fails the message accordingly.
"""

import logging

from dtmcli.msg import Msg as DtmcliMsg

from saga.barrier import MSG_BRANCH, MSG_OP, BranchBarrier
from saga.result import DtmError, DtmFailure
from saga.trans_base import Trans

log = logging.getLogger(__name__)


class Msg(Trans, DtmcliMsg):
    """dtmcli's Msg keeps the steps, payloads and options; the calls to DTM go through
    the pooled DtmClient instead, because dtmcli's open a connection each, map 409 and
    425 to plain exceptions, always ask for an 8 s request timeout and have no abort."""

    def __init__(self, client, gid, timeout_to_fail=0, retry_interval=0, branch_headers=None, branch_secret=None):
        """timeout_to_fail: seconds after prepare before DTM back-queries (0: the server's 35 s).
        The other options: Trans._use."""
        DtmcliMsg.__init__(self, client.url, gid)
        self._use(client, timeout_to_fail, retry_interval, branch_headers, branch_secret)

    def add(self, payload, action_url):
        return DtmcliMsg.add(self, self._sealed(payload, action_url), action_url)

    def prepare(self, query_prepared):
        self.trans_base.query_prepared = query_prepared
        self.client.call("prepare", self.trans_base.__dict__)

    def abort(self):
        self.client.call("abort", self.trans_base.__dict__)

    def do_and_submit(self, query_prepared, busi_call):
        """DTM's DoAndSubmit. busi_call(barrier) runs the local transaction through the
        msg barrier. A DtmFailure from it aborts the message; any other error leaves the
        outcome unknown, so ask the back-query: committed -> submit, rolled back -> abort,
        no answer -> leave the message prepared for DTM's own back-query. The error
        from busi_call, if any, is raised again."""
        barrier = BranchBarrier(self.trans_base.trans_type, self.gid, MSG_BRANCH, MSG_OP)
        self.prepare(query_prepared)
        try:
            busi_call(barrier)
        except DtmFailure:
            self._abort_quietly()
            raise
        except Exception as err:
            log.warning("gid=%s local transaction outcome unknown (%s); asking the back-query", self.gid, err)
            self._settle_by_back_query(query_prepared)
            raise
        self.submit()
        log.info("gid=%s submitted", self.gid)

    def _settle_by_back_query(self, query_prepared):
        try:
            self.client.request_branch(
                query_prepared,
                self.gid,
                self.trans_base.trans_type,
                MSG_BRANCH,
                MSG_OP,
                headers=self.trans_base.branch_headers,
            )
        except DtmFailure:
            self._abort_quietly()
        except Exception as err:
            log.warning("gid=%s back-query gave no answer (%s); DTM will ask it again", self.gid, err)
        else:
            try:  # the error the caller must see is busi_call's, not this one
                self.submit()
                log.info("gid=%s submitted after the back-query found the local transaction", self.gid)
            except (DtmFailure, DtmError) as err:
                log.warning("gid=%s submit failed (%s); DTM's back-query will submit it", self.gid, err)

    def _abort_quietly(self):
        # DTM may have failed the message already (its back-query ran first); that is fine.
        try:
            self.abort()
            log.info("gid=%s aborted", self.gid)
        except (DtmFailure, DtmError) as err:
            log.info("gid=%s abort not needed or not reached: %s", self.gid, err)
