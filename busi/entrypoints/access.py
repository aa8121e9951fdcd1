"""Who is calling: the bearer credential of a request (busi/domain/credentials.py), and the
two checks the endpoints make with it (docs/security.md has the table of who may call what).

- operator_only: the shop's and the demo's endpoints. The operator's credential, or none at
  all while OPERATOR_OPEN is on (the local demo: the service listens on loopback only) for a
  request from this machine that no other site's web page made.
- buyer(user_id): acting for one buyer. That buyer's credential or the operator's; OPERATOR_OPEN
  never stands in for it, so that no one on the machine spends another buyer's money.
"""

import ipaddress
from functools import wraps
from urllib.parse import urlsplit

from flask import request

from busi import services
from busi.config import is_loopback
from busi.domain.refusals import Forbidden, MissingCredential

SCHEME = "Bearer "


def holder():
    """The Holder of the request's credential, None when it has none; a bad one is a 401."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    if not header.startswith(SCHEME) or not header[len(SCHEME) :].strip():
        raise MissingCredential("send the credential as `Authorization: Bearer <credential>`")
    return services().credentials.holder(header[len(SCHEME) :].strip())


def required_holder(what):
    """The Holder of the request's credential; a 401 saying that `what` needs one when it has none."""
    caller = holder()
    if caller is None:
        raise MissingCredential(
            f"{what} needs a credential: send `Authorization: Bearer <credential>`, the one the buyer's "
            "first purchase answered with"
        )
    return caller


def buyer(user_id):
    """Refuse the request unless its credential may act for buyer user_id."""
    caller = required_holder(f"acting for buyer {user_id}")
    caller.require_buyer(user_id)
    return caller


def operator_only(view):
    """The view answers the operator only (or anyone on this machine while OPERATOR_OPEN is on)."""

    @wraps(view)
    def checked(*args, **kwargs):
        require_operator()
        return view(*args, **kwargs)

    return checked


def require_operator():
    caller = holder()
    if caller is not None:
        if not caller.operator:
            raise Forbidden("this endpoint is the operator's: a buyer's credential does not open it")
        return
    if not (services().config.operator_open and _from_this_machine()):
        raise MissingCredential(
            "this endpoint is the operator's: send `Authorization: Bearer <the operator credential>` "
            "(python -m busi credential operator)"
        )


# Sec-Fetch-Site values of a request that no other site's page made: the browser's own page,
# or one typed in; curl and the simulations send none.
NOT_CROSS_SITE = {"same-origin", "none"}


def _from_this_machine():
    """A request from this machine's loopback, to a loopback name, and not made by a web page of
    another site that a browser here opened: its form or image would come from loopback too, and
    a DNS name rebound to 127.0.0.1 would be its Host."""
    try:
        peer = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # a Unix socket: no address, not this machine's loopback
        return False
    host = urlsplit(f"//{request.host}").hostname or ""
    return peer and is_loopback(host) and request.headers.get("Sec-Fetch-Site", "none") in NOT_CROSS_SITE
