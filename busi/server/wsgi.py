"""The WSGI entry point: `gunicorn -c busi/server/gunicorn_conf.py busi.server.wsgi:app`.

Imported by each worker after the fork (no preload), so each process builds its own
Redis, MySQL and DTM clients rather than sharing sockets with its siblings.
"""

import logging

from busi import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
app = create_app()
