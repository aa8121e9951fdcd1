"""gunicorn settings, from the one configuration table (busi/config.py).

Sync workers, one request per process: when the crash endpoint kills its process, only
that purchase dies; gunicorn's arbiter starts a new worker and the others go on.
"""
from busi.config import Config

_config = Config.from_env()
bind = f"{_config.busi_host}:{_config.busi_port}"
workers = _config.busi_workers
worker_class = "sync"
timeout = 120  # a worker may stream the batch for up to ~50 s
backlog = 2048  # a flash sale's crowd waits here for a free worker
capture_output = True  # the app's logs (with gids) go to the error log file
loglevel = "info"
