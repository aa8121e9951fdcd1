"""All configuration, read from the environment in one place.

| variable      | default                                         | what it is                              |
|---------------|-------------------------------------------------|-----------------------------------------|
| DTM_URL       | http://127.0.0.1:36789/api/dtmsvr               | DTM server API; set it to use your own  |
| REDIS_URL     | redis://127.0.0.1:6389/0                        | stock and Redis barrier; set: your own  |
| MYSQL_URL     | mysql://flash:flash@127.0.0.1:3316/flash_sale   | orders and dtm_barrier; set: your own   |
| BUSI_HOST     | 127.0.0.1                                       | where gunicorn binds                    |
| BUSI_PORT     | 8081                                            | where gunicorn binds                    |
| BUSI_URL      | http://127.0.0.1:$BUSI_PORT/api/busi            | how DTM (and the batch) reach busi      |
| BUSI_WORKERS  | 8                                               | gunicorn sync workers (at least 2)      |
| STREAM_PORT   | 8082                                            | the stock stream server, on BUSI_HOST   |
| STREAM_URL    | http://127.0.0.1:$STREAM_PORT/api/busi          | how a browser reaches the stream server |
| RUN_DIR       | .run in the repository                          | local servers' data, logs, pid files    |
| BRANCH_SECRET | read from $RUN_DIR/branch_secret (stack.sh)     | key of the branch tokens DTM sends back |
| AUTH_SECRET   | read from $RUN_DIR/auth_secret (stack.sh)       | key of the buyers' and operator's credentials |
| OPERATOR_OPEN | 1 if BUSI_HOST is loopback, else 0              | 1: operator endpoints need no credential |
| CREDENTIAL_TTL_S | 86400                                        | how long a credential is good for       |
| DEMO_ENDPOINTS| 1                                               | 0: reset, batch, crashes, POST wallet 404|
| PAY_WITHIN_S  | 900                                             | an order unpaid this long is cancelled  |
| HA            | 0                                               | 1: the HA stack (scripts/ha.sh)         |
| REDIS_CLUSTER | 0 (HA=1: 1, and REDIS_URL redis://127.0.0.1:7001/0) | REDIS_URL: a Redis Cluster node     |
| REDIS_NODE_ADDRESSES | none                                       | cluster nodes behind a proxy or NAT     |

Setting DTM_URL, REDIS_URL or MYSQL_URL means "that server already runs": the local
stack script then starts nothing for it. `python -m busi config` prints the resolved
values as shell assignments, which is how scripts/stack.sh reads this same table (all but
the secret); the script runs this file itself, which imports no Flask, so that each call
(a fault's kill among them) starts in 0.1 s instead of 1 s. BRANCH_SECRET signs the token
that only DTM can send back to the branches, AUTH_SECRET the credentials of buyers and of
the operator (docs/security.md); the local stack writes a random one of each to $RUN_DIR on
first start. A service that listens off loopback must not leave the operator endpoints open:
the configuration is refused if it would.
"""

import ipaddress
import os
import shlex
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/busi"
# In RUN_DIR, written by scripts/stack.sh: the file each secret is read from when it is not set.
SECRET_FILES = {"branch_secret": "branch_secret", "auth_secret": "auth_secret"}
# What HA=1 changes (scripts/ha.sh starts these): BUSI_URL and DTM_URL stay, as HAProxy
# listens there, in front of two services and two DTM servers.
HA_DEFAULTS = {"redis_url": "redis://127.0.0.1:7001/0", "redis_cluster": True}
# Behind them, the HA stack's own servers: below the ephemeral ports (32768+), where an
# outgoing connection could take one first. DTM also takes the next two (gRPC, JSON-RPC).
HA_SERVERS = {"redis_shards": (7001, 7002, 7003), "dtm_servers": (26789, 26799), "busi_instances": (8091, 8092)}
# The HA stack's links through Toxiproxy (scripts/stack.sh ha-links-up), for the network rows
# of its fault matrix: dtm-1's to the shared MySQL store, and busi-1's to each Redis shard (a
# proxy per shard, in HA_SERVERS' order; not on 1700x, the shards' cluster bus ports). The other
# DTM server and service go direct.
HA_LINKS = {"dtm_1_store": (13326,), "busi_1_redis": (27001, 27002, 27003)}
# python -m crash_sim bench --rtt (docs/tiers-apart.md): Toxiproxy's API, a second service, and one
# proxy per link between tiers, each listening on the port given and forwarding to its server's
# (scripts/stack.sh rtt-up starts them). Below the ephemeral ports, as HA_SERVERS.
RTT_STACK = {
    "toxiproxy_port": 8474,
    "busi_port": 8083,
    "proxies": {"mysql": 13316, "redis": 16389, "dtm": 16789, "busi": 18083},
}
_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True)
class Config:
    dtm_url: str = "http://127.0.0.1:36789/api/dtmsvr"
    redis_url: str = "redis://127.0.0.1:6389/0"
    mysql_url: str = "mysql://flash:flash@127.0.0.1:3316/flash_sale"
    busi_host: str = "127.0.0.1"
    busi_port: int = 8081
    busi_url: str = ""
    busi_workers: int = 8
    stream_port: int = 8082  # the stock stream server (busi/server/stream.py), beside gunicorn
    stream_url: str = ""
    run_dir: str = str(REPO_DIR / ".run")
    branch_secret: str = ""
    auth_secret: str = ""
    operator_open: bool = True  # from_env: by default, whether busi_host is a loopback address
    credential_ttl_s: int = 86400
    demo_endpoints: bool = True
    pay_within_s: int = 900  # a product may set its own (products.pay_within_s)
    ha: bool = False
    redis_cluster: bool = False
    redis_node_addresses: str = ""  # "host:port=host:port,...": see node_addresses()
    # Which servers the local stack must start: those whose URL was not given.
    local_dtm: bool = True
    local_redis: bool = True
    local_mysql: bool = True

    @classmethod
    def from_env(cls, env=os.environ):
        values = dict(HA_DEFAULTS) if _parse("HA", env.get("HA", "0"), bool) else {}
        for field in fields(cls):
            raw = env.get(field.name.upper())
            if raw is None or field.name.startswith("local_"):
                continue
            values[field.name] = _parse(field.name.upper(), raw, field.type)
        for name in ("dtm", "redis", "mysql"):
            values[f"local_{name}"] = f"{name.upper()}_URL" not in env
        if "run_dir" in values:  # scripts cd elsewhere; a relative path would move with them
            values["run_dir"] = os.path.abspath(values["run_dir"])
        for secret, file in SECRET_FILES.items():
            if not values.get(secret):
                values[secret] = _read_secret(Path(values.get("run_dir", cls.run_dir)) / file)
        values.setdefault("operator_open", is_loopback(values.get("busi_host", cls.busi_host)))
        config = cls(**values)
        if not config.busi_url:
            config = _replace(config, busi_url=f"http://127.0.0.1:{config.busi_port}{API_PREFIX}")
        if not config.stream_url:
            config = _replace(config, stream_url=f"http://127.0.0.1:{config.stream_port}{API_PREFIX}")
        config.node_addresses()  # refused here, with what is wrong, rather than at the first command
        if config.busi_workers < 2:
            raise ValueError(
                "BUSI_WORKERS must be at least 2: the batch endpoint holds one "
                "worker while the purchases it fires need another"
            )
        if config.operator_open and not is_loopback(config.busi_host):
            raise ValueError(
                f"BUSI_HOST={config.busi_host} is reachable from other hosts, and OPERATOR_OPEN=1 would let anyone "
                "there reset the sale, restock and set balances: leave OPERATOR_OPEN unset (or 0) and send "
                "the operator credential (python -m busi credential operator; docs/security.md)"
            )
        return config

    def node_addresses(self):
        """REDIS_NODE_ADDRESSES as {(host, port) a cluster node announces: (host, port) to reach
        it at}. A cluster client learns its nodes' addresses from the nodes themselves
        (CLUSTER SLOTS); a client behind a proxy or a NAT must be told where they really are."""
        addresses = {}
        for pair in filter(None, (p.strip() for p in self.redis_node_addresses.split(","))):
            try:
                announced, reached = (_host_port(side) for side in pair.split("="))
            except ValueError:
                raise ValueError(
                    f"REDIS_NODE_ADDRESSES: {pair!r} is not host:port=host:port "
                    "(e.g. 127.0.0.1:7001=127.0.0.1:27001, pairs separated by commas)"
                ) from None
            addresses[announced] = reached
        return addresses

    def port_of(self, url_field):
        """The port of one of the URLs, e.g. port_of("redis_url") -> 6389."""
        return urlsplit(getattr(self, url_field)).port


def is_loopback(host):
    """Whether a listen address is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve anywhere
        return False


def _host_port(text):
    host, port = text.strip().rsplit(":", 1)
    if not host or not port.isdigit():
        raise ValueError(text)
    return host, int(port)


def _read_secret(path):
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""  # create_app refuses to start without them; unit tests need none


def _parse(name, raw, kind):
    if kind is bool:
        if raw.lower() not in _BOOLS:
            raise ValueError(f"{name} must be 1 or 0 (or true/false), got {raw!r}")
        return _BOOLS[raw.lower()]
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    return raw


def _replace(config, **changes):
    return Config(**{**config.__dict__, **changes})


def shell_lines(config):
    """The config as `NAME=value` lines that a shell script can eval."""
    lines = []
    for field in fields(config):
        if field.name in SECRET_FILES:  # the shell has no use for them; keep them out of ps and logs
            continue
        value = getattr(config, field.name)
        if isinstance(value, bool):
            value = int(value)
        lines.append(f"{field.name.upper()}={shlex.quote(str(value))}")
    for url_field in ("dtm_url", "redis_url", "mysql_url"):
        lines.append(f"{url_field[:-4].upper()}_PORT={config.port_of(url_field)}")
    if config.ha:
        ha_ports = {**HA_SERVERS, **HA_LINKS}
        lines += [f"HA_{name.upper()}='{' '.join(map(str, ports))}'" for name, ports in ha_ports.items()]
    lines.append(f"RTT_TOXIPROXY_PORT={RTT_STACK['toxiproxy_port']}")
    lines.append(f"RTT_BUSI_PORT={RTT_STACK['busi_port']}")
    lines += [f"RTT_{name.upper()}_PROXY={port}" for name, port in RTT_STACK["proxies"].items()]
    mysql = urlsplit(config.mysql_url)
    lines.append(f"MYSQL_USER={shlex.quote(mysql.username or '')}")
    lines.append(f"MYSQL_PASSWORD={shlex.quote(mysql.password or '')}")
    return lines


def print_shell_lines():
    """`python -m busi config`: the resolved configuration for a shell, or what is wrong."""
    try:
        print("\n".join(shell_lines(Config.from_env())))
    except ValueError as err:
        sys.exit(f"configuration error: {err}")


if __name__ == "__main__":  # python -P busi/config.py (scripts/stack.sh)
    print_shell_lines()
