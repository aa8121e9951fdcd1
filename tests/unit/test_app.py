"""The app factory, in-process (Flask's test client): which endpoints exist, by configuration.
No server is needed: the clients create_app builds connect on first use only."""

import pytest

from busi import create_app
from busi.config import Config
from tests.conftest import app_with

DEMO = ["/api/busi/reset", "/api/busi/flashSales-batch", "/api/busi/flashSales-crash"]


def test_demo_endpoints_are_on_by_default():
    routes = {rule.rule for rule in app_with().url_map.iter_rules()}
    assert set(DEMO) <= routes


@pytest.mark.parametrize("path", DEMO)
def test_demo_endpoints_off_answer_404_json(path):
    response = app_with(DEMO_ENDPOINTS="0").test_client().post(path, query_string={"stock": 5})
    assert response.status_code == 404
    assert response.get_json()["error"].startswith("Not Found")


def test_branches_refuse_an_unsigned_call_before_anything_else():
    client = app_with().test_client()  # nothing listens on the default ports here, nothing is needed
    response = client.post("/api/busi/createOrder", query_string={"gid": "g"}, json={"amount": 1})
    assert response.status_code == 401 and "Dtm-Branch-Token" in response.get_json()["error"]


def test_no_secret_no_service(tmp_path):
    with pytest.raises(ValueError, match="BRANCH_SECRET"):
        create_app(Config.from_env({"RUN_DIR": str(tmp_path)}))
