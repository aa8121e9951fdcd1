"""busi/entrypoints/openapi.yaml describes exactly the routes the app serves: same paths, same methods."""

from openapi_spec_validator import validate

from busi.config import API_PREFIX
from busi.domain import crash_points
from busi.domain.strategies import DEFAULT, QUANTITY_MAX, STRATEGIES
from busi.entrypoints.purchases import OPENAPI, openapi_path
from tests.conftest import app_with

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served(app):
    """{(path, method)} of the app's URL map, below the API prefix."""
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")  # not /metrics, which is Prometheus's, not this API's
        for method in rule.methods - IGNORED_METHODS
    }


def described(spec):
    return {(path, method) for path, item in spec["paths"].items() for method in item}


def test_the_description_is_valid_openapi_3():
    validate(OPENAPI)


def test_every_route_is_described_and_nothing_else():
    assert served(app_with()) == described(OPENAPI)


def test_the_served_description_follows_the_demo_switch():
    for demo in ("1", "0"):
        app = app_with(DEMO_ENDPOINTS=demo)
        assert described(app.test_client().get(f"{API_PREFIX}/openapi.json").get_json()) == served(app)


def test_the_crash_points_are_the_code_s():
    at = next(p for p in OPENAPI["paths"]["/flashSales-crash"]["get"]["parameters"] if p.get("name") == "at")
    assert at["schema"]["enum"] == list(crash_points.POINTS) and at["schema"]["default"] == crash_points.DEFAULT_POINT


def test_the_strategies_are_the_code_s():
    strategy = OPENAPI["components"]["parameters"]["strategy"]["schema"]
    assert strategy["enum"] == list(STRATEGIES) and strategy["default"] == DEFAULT


def test_the_quantity_bound_is_the_code_s():
    quantity = OPENAPI["components"]["parameters"]["quantity"]["schema"]
    assert (quantity["minimum"], quantity["maximum"], quantity["default"]) == (1, QUANTITY_MAX, 1)
