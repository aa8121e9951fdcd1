"""The branch seal: a branch call is good for one branch of one transaction, with its payload.

The branch token (branch_token.py) proves that a call concerns its gid. But DTM sends the same
branch_headers with every branch of a transaction, and shows them to whoever reads its API: a
caller holding one token could call any branch endpoint, with any op, any branch id and any
payload. So the service seals each step when it builds the transaction, with
HMAC-SHA256(secret, [gid, branch id, action endpoint, compensation endpoint, payload]), kept
in the payload under FIELD. A branch recomputes it from what it is called with: the gid, the
branch_id and the op that DTM passes, its own endpoint, and the body. All a seal allows is the
very call DTM makes, and the barrier makes a repeat of that a no-op.
"""

import hashlib
import hmac
import json

from saga.branch_token import InvalidToken

FIELD = "branch_seal"
OPS = ("action", "compensate")


class InvalidSeal(InvalidToken):
    """A branch call whose payload is not sealed for this gid, branch, endpoint and op: a 401."""


def branch_id(step_index):
    """The branch id DTM gives a transaction's step: 01, 02, ... in the order they were added."""
    return f"{step_index + 1:02d}"


def endpoint(url):
    """The last segment of a branch URL's path: http://h/api/busi/charge?x=1 -> charge."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] if url else ""


def seal(secret, gid, branch, payload, action_url, compensate_url=""):
    """The payload of step `branch` (its id) with its seal added."""
    calls = {"action": endpoint(action_url), "compensate": endpoint(compensate_url)}
    return {**payload, FIELD: {**calls, "mac": _mac(secret, gid, branch, calls, payload)}}


def verify(secret, gid, branch, op, called_endpoint, body):
    """The payload without its seal, if body is sealed for exactly this call; else InvalidSeal
    saying what does not match."""
    sealed = body.get(FIELD)
    if not isinstance(sealed, dict):
        raise InvalidSeal(
            f"missing {FIELD} in the body: a branch's payload is sealed by the service that built the "
            "transaction, and only DTM sends it"
        )
    if op not in OPS or sealed.get(op) != called_endpoint:
        raise InvalidSeal(f"this payload is not sealed for {called_endpoint} with op={op!r}"[:200])
    payload = {name: value for name, value in body.items() if name != FIELD}
    calls = {name: str(sealed.get(name, "")) for name in OPS}
    if not hmac.compare_digest(_mac(secret, gid, branch, calls, payload), str(sealed.get("mac", ""))):
        raise InvalidSeal(f"{FIELD} does not match this gid, branch_id and payload")
    return payload


def _mac(secret, gid, branch, calls, payload):
    message = json.dumps([gid, branch, calls["action"], calls["compensate"], payload], sort_keys=True)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
