"""/metrics in Prometheus's text format, and what a purchase and a crash point add to it."""

from prometheus_client.parser import text_string_to_metric_families

from busi.adapters import metrics
from tests.conftest import app_with


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return {
        s.name + str(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_a_refused_purchase_is_counted_by_strategy_and_outcome():
    client = app_with().test_client()
    key = "busi_purchases_total" + str(sorted({"strategy": "rowlock", "outcome": "refused"}.items()))
    before = scrape(client).get(key, 0)
    assert client.get("/api/busi/flashSales?strategy=rowlock&user_id=abc").status_code == 400
    assert scrape(client)[key] == before + 1


def test_outcomes_follow_dtm_s_reading_of_the_status():
    assert [metrics.outcome(s) for s in (200, 409, 400, 401, 500)] == ["ok", "no", "refused", "refused", "error"]
