"""/metrics under gunicorn: the workers' counts added up (multi-process mode), a crashed
worker's included."""

from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from busi.config import HA_SERVERS
from tests.conftest import wait_until

RECOVERY_DEADLINE_S = 15


def scrape(busi, config):
    """The samples, added up over the service's instances: on the HA stack each has its own
    /metrics (as Prometheus scrapes each target), and the balancer shows one at random."""
    url = urlsplit(config.busi_url)
    sites = (
        [f"http://127.0.0.1:{port}" for port in HA_SERVERS["busi_instances"]]
        if config.ha
        else [f"{url.scheme}://{url.netloc}"]
    )
    samples = {}
    for site in sites:
        for family in text_string_to_metric_families(busi.session.get(f"{site}/metrics", timeout=10).text):
            for s in family.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                samples[key] = samples.get(key, 0) + s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_a_purchase_and_a_crash_are_counted(busi, config, new_product):
    product = new_product(2)
    before = scrape(busi, config)
    assert busi.purchase(5, product).status_code == 200
    assert busi.crash_purchase(6, product) is None

    def counted():  # the crashed purchase's order comes through DTM's back-query, seconds later
        now = scrape(busi, config)
        back_query = value(now, "busi_back_queries_total", result="committed") > value(
            before, "busi_back_queries_total", result="committed"
        )
        orders = value(now, "busi_orders_created_total") >= value(before, "busi_orders_created_total") + 2
        return now if back_query and orders else None

    after = wait_until(counted, RECOVERY_DEADLINE_S)
    assert after, "the crashed purchase's back-query was not counted"
    assert (
        value(after, "busi_purchases_total", strategy="dtm", outcome="ok")
        >= value(before, "busi_purchases_total", strategy="dtm", outcome="ok") + 1
    )
    assert (
        value(after, "busi_crashes_injected_total", point="after_deduct")
        >= value(before, "busi_crashes_injected_total", point="after_deduct") + 1
    )
    for operation in ("prepare", "submit"):
        assert value(after, "busi_dtm_call_seconds_count", operation=operation) > value(
            before, "busi_dtm_call_seconds_count", operation=operation
        )
