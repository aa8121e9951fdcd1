"""The live page's pure parts: DTM dashboard links and the purchase totals it charts."""

from busi.adapters import metrics
from saga import DtmClient


def test_dashboard_links_point_at_the_dtm_server_not_its_api():
    dtm = DtmClient("http://127.0.0.1:36789/api/dtmsvr")
    assert dtm.dashboard_url() == "http://127.0.0.1:36789/"
    assert dtm.dashboard_url("{p1}-abc") == "http://127.0.0.1:36789/admin/global-transactions/detail/%7Bp1%7D-abc"


def test_purchase_totals_put_each_outcome_on_its_chart_line():
    before = metrics.purchase_totals()
    metrics.PURCHASES.labels("dtm", metrics.outcome(200)).inc(2)
    metrics.PURCHASES.labels("rowlock", metrics.outcome(409)).inc()
    metrics.PURCHASES.labels("dtm", metrics.outcome(400)).inc()
    metrics.PURCHASES.labels("dtm", metrics.outcome(500)).inc()
    after = metrics.purchase_totals()
    assert {line: after[line] - before[line] for line in after} == {"bought": 2, "sold_out": 1, "error": 2}
