"""Who may call what (docs/security.md), in-process: every check refuses before any store is
touched, so no server is needed. The same probes against the running service: e2e/test_buyer_access.py."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from busi.config import API_PREFIX, Config, is_loopback
from busi.domain import credentials
from busi.domain.credentials import Credentials, Holder
from busi.domain.refusals import Forbidden, MissingCredential
from busi.entrypoints import access
from busi.entrypoints.purchases import OPENAPI
from tests.conftest import TEST_SECRETS, app_with

KEYS = Credentials(TEST_SECRETS["AUTH_SECRET"], Config.credential_ttl_s)
OPERATOR_ONLY = sorted(
    (path, method)
    for path, item in OPENAPI["paths"].items()
    for method, op in item.items()
    if op.get("security") == [{"operator": []}]
)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def call(client, path, method, headers=None):
    url = API_PREFIX + path.replace("{product_id}", "1")
    return client.open(url, method=method.upper(), query_string={"user_id": 5, "stock": 1}, headers=headers or {})


@pytest.fixture
def closed():
    """A service whose operator endpoints need the operator's credential (OPERATOR_OPEN=0)."""
    return app_with(OPERATOR_OPEN="0").test_client()


def test_the_operator_s_endpoints_are_the_ones_the_issues_name():
    names = {path for path, _ in OPERATOR_ONLY}
    assert names == {
        "/products",
        "/products/{product_id}/inventory",
        "/products/{product_id}/restock",
        "/wallet",
        "/orders",
        "/reset",
        "/flashSales-crash",
        "/pay-crash",
        "/flashSales-batch",
        "/flashSales-compare",
    }


@pytest.mark.parametrize("path, method", OPERATOR_ONLY)
def test_without_a_credential_an_operator_endpoint_is_a_401_when_closed(closed, path, method):
    response = call(closed, path, method)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert "operator" in response.get_json()["error"] and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path, method", OPERATOR_ONLY)
def test_a_buyer_s_credential_does_not_open_an_operator_endpoint(closed, path, method):
    response = call(closed, path, method, bearer(KEYS.for_buyer(5)))
    assert response.status_code == 403, response.get_data(as_text=True)
    assert "operator" in response.get_json()["error"]


# flashSales reads the stock before the credential (a sold-out answer is anyone's), so it needs
# a store: tests/e2e/test_buyer_access.py::test_no_one_buys_as_another_buyer checks it.
@pytest.mark.parametrize("path, method", [("/wallet", "get"), ("/pay", "post"), ("/order", "get")])
def test_acting_for_a_buyer_needs_their_credential_even_when_open(path, method):
    client = app_with().test_client()  # OPERATOR_OPEN on: the local demo; the test client is 127.0.0.1
    response = call(client, path, method)
    assert response.status_code == 401, response.get_data(as_text=True)
    if path == "/wallet":  # it names user 5 without a store
        assert call(client, path, method, bearer(KEYS.for_buyer(6))).status_code == 403


def test_a_forged_altered_or_expired_credential_is_a_401(closed):
    token = KEYS.for_operator()
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_key = Credentials("not-the-shop-s-secret", 3600).for_operator()

    class LongAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - Config.credential_ttl_s - 1

    expired = URLSafeTimedSerializer(TEST_SECRETS["AUTH_SECRET"], credentials.SALT, signer=LongAgo)
    for bad in (altered, other_key, expired.dumps({"operator": True}), "", "x.y.z"):
        response = call(closed, "/reset", "post", {"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, (bad, response.get_data(as_text=True))
    assert call(closed, "/reset", "post", {"Authorization": f"Basic {token}"}).status_code == 401


def test_a_credential_names_one_buyer_or_the_operator():
    assert KEYS.holder(KEYS.for_buyer(7)) == Holder(buyer=7)
    assert KEYS.holder(KEYS.for_operator()) == Holder(operator=True)
    assert Holder(buyer=7).may_act_for(7) and not Holder(buyer=7).may_act_for(8)
    assert Holder(operator=True).may_act_for(8)
    with pytest.raises(Forbidden):
        Holder(buyer=7).require_buyer(8)
    signed_other_claims = URLSafeTimedSerializer(TEST_SECRETS["AUTH_SECRET"], credentials.SALT)
    for claims in ({"buyer": "7"}, {"buyer": True}, {"operator": 1}, {}):
        with pytest.raises(MissingCredential):
            KEYS.holder(signed_other_claims.dumps(claims))


@pytest.mark.parametrize(
    "remote, host, fetch_site, allowed",
    [
        ("127.0.0.1", "127.0.0.1:8081", None, True),  # curl, the simulations
        ("::1", "localhost:8081", None, True),
        ("127.0.0.1", "127.0.0.1:8081", "same-origin", True),  # the live page's buttons
        ("10.1.2.3", "127.0.0.1:8081", None, False),  # another host
        ("", "127.0.0.1:8081", None, False),  # a Unix socket
        ("127.0.0.1", "127.0.0.1:8081", "cross-site", False),  # another site's form or image, in a browser here
        ("127.0.0.1", "127.0.0.1:8081", "same-site", False),
        ("127.0.0.1", "rebound.example:8081", None, False),  # a DNS name rebound to 127.0.0.1
    ],
)
def test_open_operator_endpoints_answer_this_machine_only(remote, host, fetch_site, allowed):
    app = app_with()
    headers = {"Host": host, **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})}
    with app.test_request_context("/api/busi/reset", environ_base={"REMOTE_ADDR": remote}, headers=headers):
        if allowed:
            access.require_operator()
        else:
            with pytest.raises(MissingCredential):
                access.require_operator()


def test_open_is_the_default_on_loopback_only_and_refused_elsewhere():
    assert Config.from_env({}).operator_open is True
    assert Config.from_env({"BUSI_HOST": "0.0.0.0"}).operator_open is False
    assert Config.from_env({"BUSI_HOST": "127.0.0.1", "OPERATOR_OPEN": "0"}).operator_open is False
    for host in ("0.0.0.0", "::", "192.168.1.10", "shop.example"):
        with pytest.raises(ValueError, match="OPERATOR_OPEN=1 would let anyone"):
            Config.from_env({"BUSI_HOST": host, "OPERATOR_OPEN": "1"})


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True)]
    + [("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("example.org", False)],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("secret", ["AUTH_SECRET", "BRANCH_SECRET"])
@pytest.mark.parametrize("value", ["", "x" * 31])
def test_no_secret_or_a_short_one_no_service(tmp_path, secret, value):
    with pytest.raises(ValueError, match=f"{secret}, e.g."):
        app_with(RUN_DIR=str(tmp_path), **{secret: value})
