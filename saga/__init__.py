"""The transaction toolkit: DTM's two-phase message and saga, sub-transaction barriers for
MySQL and Redis, and DTM's result protocol. Built on the PyPI `dtmcli` client where it is right."""

from saga import branch_token
from saga.barrier import BranchBarrier, InvalidBarrier
from saga.barrier_redis import RedisBarrier
from saga.branch_token import InvalidToken
from saga.dtm_client import DtmClient
from saga.msg import Msg
from saga.result import DtmDuplicated, DtmError, DtmFailure, DtmOngoing, DtmUnfinished
from saga.saga import Saga

__all__ = [
    "branch_token",
    "BranchBarrier",
    "InvalidBarrier",
    "RedisBarrier",
    "InvalidToken",
    "DtmClient",
    "Msg",
    "Saga",
    "DtmDuplicated",
    "DtmError",
    "DtmFailure",
    "DtmOngoing",
    "DtmUnfinished",
]
