"""Bad input gets a 400 with a JSON error, and nothing changes. Branch calls carry a valid
token here, so that what is checked is their input (test_branch_auth.py: without one)."""

import pytest

from busi.adapters.orders import orders_of_gid

GID_QUERY = {"gid": "bad-input-gid", "trans_type": "msg", "branch_id": "01", "op": "action"}
ORDER = {"user_id": 1, "product_id": 1, "amount": 1}


@pytest.fixture
def product(new_product):
    return new_product(5)


def cases(product):
    """(method, path, query, request kwargs, what the error must mention)"""
    order = {**ORDER, "product_id": product}
    return [
        ("GET", "flashSales", {"product_id": 987654321}, {}, "unknown product_id"),
        ("GET", "flashSales", {"user_id": "", "product_id": product}, {}, "empty user_id"),
        ("GET", "flashSales", {"user_id": "abc", "product_id": product}, {}, "user_id must be an integer"),
        ("POST", "flashSales", {"user_id": "1.5", "product_id": product}, {}, "user_id must be an integer"),
        ("POST", "flashSales", {"user_id": "0", "product_id": product}, {}, "user_id must be between"),
        ("GET", "flashSales", {"user_id": 1, "product_id": 987654321}, {}, "unknown product_id"),
        ("GET", "flashSales-crash", {"user_id": "x", "product_id": product}, {}, "user_id must be an integer"),
        (
            "POST",
            "flashSales",
            {},
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            "JSON object",
        ),
        (
            "POST",
            "createOrder",
            {"gid": GID_QUERY["gid"]},
            {"json": order},
            "missing query parameter(s) trans_type, branch_id, op",
        ),
        ("POST", "createOrder", {**GID_QUERY, "op": " "}, {"json": order}, "missing query parameter(s) op"),
        (
            "POST",
            "createOrder",
            GID_QUERY,
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            "JSON object",
        ),
        ("POST", "createOrder", GID_QUERY, {"json": {**order, "user_id": "one"}}, "user_id must be an integer"),
        ("POST", "createOrder", GID_QUERY, {"json": [1, 2]}, "JSON object"),
        ("POST", "createOrder", GID_QUERY, {"json": {**order, "amount": 2**31}}, "amount must be between"),
        ("POST", "flashSales", {"product_id": product}, {"data": {"user_id": "9" * 5000}}, "user_id must be"),
        ("GET", "queryPrepared", {"gid": GID_QUERY["gid"]}, {}, "missing query parameter(s)"),
        ("GET", "flashSales-crash", {"user_id": 1, "product_id": product, "at": "now"}, {}, "unknown crash point"),
        ("POST", "reset", {"stock": "-1", "product_id": product}, {}, "stock must be between"),
        ("POST", "reset", {"stock": "many", "product_id": product}, {}, "stock must be an integer"),
        ("POST", "reset", {"product_id": product}, {}, "missing stock"),
        ("GET", "stock", {"product_id": "p1"}, {}, "product_id must be an integer"),
        ("GET", "live", {"product_id": "0"}, {}, "product_id must be between"),
        ("GET", "flashSales-compare", {"buyers": "all"}, {}, "buyers must be an integer"),
        ("GET", "flashSales-compare", {"stock": "0"}, {}, "stock must be between"),
        ("GET", "orders", {"product_id": 987654321}, {}, "unknown product_id"),
    ]


@pytest.mark.parametrize("index", range(len(cases(0))))
def test_bad_input_is_400_with_json_and_changes_nothing(busi, config, product, redis, mysql, signed, sealed, index):
    method, path, query, kwargs, mention = cases(product)[index]

    def state():  # the product's stock, orders and Redis keys; the orders of the test gid
        return (
            busi.stock(product),
            busi.order_count(product),
            sorted(redis.scan_iter(f"{{p{product}}}*")),
            orders_of_gid(mysql, GID_QUERY["gid"]),
        )

    before = state()
    if path == "createOrder" and isinstance(kwargs.get("json"), dict):  # as DTM sends it: sealed
        kwargs["json"] = sealed(GID_QUERY["gid"], GID_QUERY["branch_id"], kwargs["json"], path)
    headers = {**kwargs.pop("headers", {}), **signed(GID_QUERY["gid"])}
    response = busi.session.request(method, f"{config.busi_url}/{path}", params=query, headers=headers, **kwargs)
    assert response.status_code == 400, response.text
    assert mention in response.json()["error"]
    assert state() == before


def test_unknown_path_and_method_are_json_too(busi, config):
    assert busi.session.get(f"{config.busi_url}/nothing-here").json()["error"].startswith("Not Found")
    response = busi.session.get(f"{config.busi_url}/reset", params={"stock": 1})
    assert response.status_code == 405 and "error" in response.json()
    assert "POST" in response.headers["Allow"]


def test_what_gunicorn_refuses_itself_is_json_too(busi, config):
    """A request line over gunicorn's 4094-byte limit never reaches Flask (busi/server/gunicorn_conf.py)."""
    response = busi.session.get(f"{config.busi_url}/stock", params={"x": "a" * 5000})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert "Request Line is too large" in response.json()["error"]


def test_a_body_over_the_limit_is_413_and_json(busi, config, product):
    response = busi.session.post(
        f"{config.busi_url}/flashSales",
        params={"product_id": product},
        data='{"user_id": 1, "pad": "' + "x" * 70_000 + '"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and "bytes" in response.json()["error"]
    assert busi.stock(product) == 5


@pytest.mark.parametrize(
    "path, body, mention",
    [
        ("stock", {"strategy": ["dtm"]}, "unknown strategy"),
        ("flashSales-crash", {"user_id": 1, "at": {}}, "unknown crash point"),
        ("flashSales-crash", {"user_id": 1, "at": ["after_submit"]}, "unknown crash point"),
        ("pay", {"gid": "\ud800"}, "not valid UTF-8"),
    ],
)
def test_values_of_the_wrong_json_type_are_400_not_500(busi, config, product, path, body, mention):
    """Found by probing: these answered 500."""
    method = "GET" if path == "stock" else "POST"
    response = busi.session.request(method, f"{config.busi_url}/{path}", params={"product_id": product}, json=body)
    assert response.status_code == 400 and mention in response.json()["error"], response.text
    assert busi.stock(product) == 5


def test_no_header_of_the_caller_is_echoed_into_a_redirect(busi, config):
    """A path with "//" was redirected to an absolute URL built from the Host header."""
    for path in ("/api/busi//docs", "/api/busi/docs//swagger-ui.css", "/api/busi//ping"):
        response = busi.session.get(
            config.busi_url.removesuffix("/api/busi") + path, headers={"Host": "evil.example"}, allow_redirects=False
        )
        assert response.status_code == 404 and "Location" not in response.headers, path
