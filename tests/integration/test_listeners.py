"""What the stack listens on: loopback only. DTM's API hands out every transaction's branch
token and can submit or abort any transaction; scripts/stack.sh patches DTM, which has no
listen-address setting, to bind 127.0.0.1 (docs/durability-and-auth.md). Read from the
kernel's socket tables: no traffic is sent anywhere."""

import socket
from pathlib import Path

from busi.config import HA_SERVERS

LISTEN = "0A"  # the TCP state in /proc/net/tcp


def listening(table_text):
    """{port: {local addresses}} of the listening sockets in a /proc/net/tcp or tcp6 table."""
    found = {}
    for line in table_text.splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state != LISTEN:
            continue
        address, port = local.split(":")
        packed = bytes.fromhex(address)
        family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
        # The kernel prints each 32-bit word in host order (little-endian here).
        words = b"".join(packed[i : i + 4][::-1] for i in range(0, len(packed), 4))
        found.setdefault(int(port, 16), set()).add(socket.inet_ntop(family, words))
    return found


def test_listening_reads_the_kernel_s_format():
    table = (
        "  sl  local_address rem_address   st\n"
        "   0: 0100007F:8D55 00000000:0000 0A 0\n"
        "   1: 00000000:8D56 00000000:0000 0A 0\n"
        "   2: 0100007F:0050 0100007F:9999 01 0\n"
    )
    assert listening(table) == {36181: {"127.0.0.1"}, 36182: {"0.0.0.0"}}


def test_dtm_listens_on_loopback_only(config):
    """DTM's HTTP port and its gRPC port next to it; on the HA stack, each DTM server's, and
    the balancer's in front of them."""
    front = int(config.dtm_url.split(":")[2].split("/")[0])
    servers = HA_SERVERS["dtm_servers"] if config.ha else (front,)
    ports = {front, *servers, *(port + 1 for port in servers)}
    tables = {}
    for name in ("tcp", "tcp6"):
        for port, addresses in listening(Path(f"/proc/net/{name}").read_text()).items():
            tables.setdefault(port, set()).update(addresses)
    for port in sorted(ports):
        assert tables.get(port), f"nothing listens on {port}"
        assert tables[port] <= {"127.0.0.1", "::1"}, f"port {port} listens on {tables[port]}"
