"""The flash-sale business service: a Flask app, served by gunicorn (busi/server/wsgi.py).

Layers, each a folder (docs/architecture.md): entrypoints/ (HTTP), scenarios/ (the demos the
service runs itself), domain/ (purchase, payment, expiry), adapters/ (Redis, MySQL, metrics),
server/ (gunicorn and set-up). create_app wires them: the clients are made here, once per process.
"""

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.engine import Engine

from busi.adapters import recent_transactions, redis_client
from busi.adapters.orders import make_engine
from busi.config import API_PREFIX, SECRET_FILES, Config
from busi.domain.credentials import Credentials
from busi.scenarios.client import BusiClient
from saga import DtmClient, RedisBarrier

MAX_BODY_BYTES = 64 * 1024
MIN_SECRET_CHARS = 32


@dataclass
class Services:
    """The clients of one process, created once by create_app and pooled."""

    config: Config
    redis: object  # redis.Redis, or redis.cluster.RedisCluster (busi/adapters/redis_client.py)
    mysql: Engine
    dtm: DtmClient
    redis_barrier: RedisBarrier
    credentials: Credentials
    busi: BusiClient  # this service's own API, for the batch simulation, as the operator


def create_app(config=None):
    config = config or Config.from_env()
    for secret, file in SECRET_FILES.items():
        if len(getattr(config, secret)) < MIN_SECRET_CHARS:  # a short one could be guessed from a signed sample
            raise ValueError(
                f"no {secret.replace('_', ' ')} of {MIN_SECRET_CHARS} characters or more: set {secret.upper()}, "
                f"e.g. $(openssl rand -hex 32), or run `scripts/stack.sh up`, which writes one to "
                f"{config.run_dir}/{file}"
            )
    # Here, not at the top: gunicorn_conf imports busi before it sets metrics' folder.
    from busi.adapters import metrics

    app = Flask(__name__, static_folder=None)  # an API: no /static route
    # A body past this is refused with a 413 (errors.py), before it is read: no request of
    # this API carries more than a few hundred bytes.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # Werkzeug answers a path with "//" by a redirect to an absolute URL built from the
    # request's Host header, which a caller chooses: such a path is a 404 instead.
    app.url_map.merge_slashes = False
    client = redis_client.connect(config)
    credentials = Credentials.of(config)
    app.extensions["busi"] = Services(
        config=config,
        redis=client,
        mysql=make_engine(config.mysql_url),
        dtm=DtmClient(
            config.dtm_url,
            on_call=lambda op, s: metrics.DTM_CALL_SECONDS.labels(op).observe(s),
            on_trans=lambda op, trans: recent_transactions.remember(client, op, trans),
        ),
        redis_barrier=RedisBarrier(client),
        credentials=credentials,
        busi=BusiClient(config.busi_url, credentials.for_operator),
    )
    from busi.entrypoints import api_docs, branches, demo, errors, live, product_page, purchases, shop

    app.register_blueprint(purchases.bp, url_prefix=API_PREFIX)
    app.register_blueprint(shop.bp, url_prefix=API_PREFIX)
    app.register_blueprint(branches.bp, url_prefix=API_PREFIX)
    app.register_blueprint(api_docs.bp, url_prefix=API_PREFIX)
    if config.demo_endpoints:
        app.register_blueprint(demo.bp, url_prefix=API_PREFIX)
    app.register_blueprint(live.bp)  # the page at /, its assets, and its data under API_PREFIX
    app.register_blueprint(product_page.bp)  # a buyer's page at /products/<id>
    errors.register(app)
    app.add_url_rule("/metrics", "metrics", lambda: metrics.exposition())
    return app


def services():
    """The current app's Services."""
    return current_app.extensions["busi"]
