"""The sub-transaction barrier (DTM's algorithm) for MySQL.

A branch call may arrive twice, late, or out of order; the barrier makes its business run
at most once, by inserting (gid, branch_id, op, barrier_id) in the same local transaction
as the business write: a duplicate insert means the work was already done or decided.
"""

import logging
import random
import time

from dtmcli.barrier import BranchBarrier as DtmcliBranchBarrier
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from saga.result import DtmDuplicated, DtmFailure

BARRIER_TABLE = "dtm_barrier.barrier"  # DTM's default table, created by busi/adapters/schema.sql
# The barrier table's column sizes: INSERT IGNORE would silently truncate a longer value.
MAX_LEN = {"trans_type": 45, "gid": 128, "branch_id": 128, "op": 45}
# A two-phase message's local transaction is branch "00", op "msg", barrier "01".
MSG_BRANCH, MSG_OP, MSG_BARRIER_ID = "00", "msg", "01"
# A compensating op first marks its origin op, so a late origin call finds the barrier taken.
ORIGIN_OP = {"cancel": "try", "compensate": "action", "rollback": "action"}

log = logging.getLogger(__name__)
# MySQL errors after which the whole local transaction has been rolled back, and simply running
# it again succeeds: it lost a deadlock, or waited too long for a lock. Retried here, a few
# times, so that DTM does not see a branch error and retry it 5 s later, then 10 s...
RETRYABLE = {1205: "lock wait timeout", 1213: "deadlock"}
ATTEMPTS = 4
BACKOFF_S = 0.02  # up to this, times the attempt, at random: the two sides of a deadlock part

_SELECT_REASON = text(
    f"SELECT reason FROM {BARRIER_TABLE} "
    "WHERE gid = :gid AND branch_id = :branch_id AND op = :op AND barrier_id = :barrier_id"
)
_INSERT = text(
    f"INSERT IGNORE INTO {BARRIER_TABLE} (trans_type, gid, branch_id, op, barrier_id, reason) "
    "VALUES (:trans_type, :gid, :branch_id, :op, :barrier_id, :reason)"
)


class CompensatedFirst(DtmFailure):
    """A saga action delivered after its compensation ran: it must say no, never succeed."""

    def __init__(self, gid, branch_id, op):
        super().__init__(f"gid {gid} branch {branch_id}: its compensation ran first; this {op} comes too late")


class InvalidBarrier(ValueError):
    """A branch call that lacks what DTM always sends (gid, trans_type, branch_id, op)."""


class BranchBarrier(DtmcliBranchBarrier):
    """dtmcli's barrier state (trans_type, gid, branch_id, op, barrier counter) with
    parameterised SQL: dtmcli builds its SQL with % formatting, injectable through gid."""

    @classmethod
    def from_query(cls, args):
        """The barrier of a branch call, from the query parameters DTM adds to it."""
        values = {name: (args.get(name) or "").strip() for name in ("trans_type", "gid", "branch_id", "op")}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise InvalidBarrier(
                f"missing query parameter(s) {', '.join(missing)}: "
                "this endpoint is a branch that DTM calls with gid, trans_type, branch_id and op"
            )
        for name, limit in MAX_LEN.items():
            if len(values[name]) > limit:
                raise InvalidBarrier(f"{name} is longer than {limit} characters")
        return cls(**values)

    def new_barrier_id(self):
        self.barrier_id += 1
        return f"{self.barrier_id:02d}"

    def call(self, engine, business):
        """Run business(conn) at most once for this branch, inside one local transaction
        with the barrier insert. Returns False when the barrier skipped it (a duplicate
        or dangling call, or an empty compensation), True when the business ran. A
        transaction that lost a deadlock or a lock wait runs again, up to ATTEMPTS times."""
        bid = self.new_barrier_id()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._call_once(engine, business, bid)
            except OperationalError as err:
                code = err.orig.args[0] if err.orig is not None and err.orig.args else None
                if code not in RETRYABLE or attempt == ATTEMPTS:
                    raise
                log.info("gid=%s %s %s: %s, running it again", self.gid, self.branch_id, self.op, RETRYABLE[code])
                time.sleep(random.uniform(0, BACKOFF_S * attempt))  # a backoff, not a wait for a condition

    def _call_once(self, engine, business, bid):
        origin_op = ORIGIN_OP.get(self.op, "")
        with engine.begin() as conn:
            origin_inserted = origin_op and self._insert(conn, self.branch_id, origin_op, bid, self.op)
            current_inserted = self._insert(conn, self.branch_id, self.op, bid, self.op)
            if self.op == MSG_OP and not current_inserted:
                raise DtmDuplicated(self.gid)
            if not current_inserted and self.op in ORIGIN_OP.values():
                self._refuse_if_compensated(conn, bid)
            if origin_inserted or not current_inserted:
                return False
            business(conn)
            return True

    def query_prepared(self, engine):
        """The back-query for a msg whose local transaction is in MySQL: return if it
        committed; raise DtmFailure if not, and mark it so that it never will. A local
        transaction still running holds the row lock, so this waits for its outcome."""
        key = {"gid": self.gid, "branch_id": MSG_BRANCH, "op": MSG_OP, "barrier_id": MSG_BARRIER_ID}
        with engine.begin() as conn:
            self._insert(conn, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID, "rollback")
        with engine.connect() as conn:
            reason = conn.execute(_SELECT_REASON, key).scalar_one()
        if reason == "rollback":
            raise DtmFailure(f"gid {self.gid}: rolled back, its local transaction never ran")

    def _refuse_if_compensated(self, conn, bid):
        """An action whose barrier row its compensation wrote (reason: the compensating op) comes
        after it: say no. DTM's barrier answers success there, trusting DTM not to go on; but a
        saga submitted twice runs twice in DTM v1.19.0's memory, and the second run, told that
        the first step succeeded, ran the next (the chaos run: an expiry gave a paid order's
        unit back, a unit sold twice)."""
        key = {"gid": self.gid, "branch_id": self.branch_id, "op": self.op, "barrier_id": bid}
        if conn.execute(_SELECT_REASON, key).scalar() in ORIGIN_OP:
            raise CompensatedFirst(self.gid, self.branch_id, self.op)

    def _insert(self, conn, branch_id, op, barrier_id, reason):
        row = {
            "trans_type": self.trans_type,
            "gid": self.gid,
            "branch_id": branch_id,
            "op": op,
            "barrier_id": barrier_id,
            "reason": reason,
        }
        return conn.execute(_INSERT, row).rowcount > 0
