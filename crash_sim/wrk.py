"""wrk (Debian's package), the load generator of the benchmarks, run from Python: the rate,
the latency percentiles, and the CPU wrk itself used, which shows whether it, rather than
the service, was the limit."""

import re
import resource
import signal
import subprocess
import time
from dataclasses import dataclass

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$", re.M)


@dataclass
class Load:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    non_2xx: int
    wrk_cores: float  # CPU wrk used, in cores (1.0 = one core busy all the time)
    requests: int = 0

    def line(self):
        return (
            f"{self.rate:7.1f}/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
            f"non-2xx {self.non_2xx}  wrk used {self.wrk_cores:.0%} of a core"
        )


def command(url, seconds, connections, threads=2, script=None, args=(), headers=()):
    """wrk's command line; script: a wrk Lua script, given `args`; headers: "Name: value" lines."""
    line = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    line += [arg for header in headers for arg in ("-H", header)]
    return line + (["-s", str(script), url, "--", *args] if script else [url])


def run(url, seconds=8, connections=16, threads=2, script=None, args=(), headers=()):
    """One wrk run against url (command's arguments), to its end."""
    command_line = command(url, seconds, connections, threads, script, args, headers)
    started = children_clock()
    result = subprocess.run(command_line, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse(result.stdout, cores_since(started))


def interrupt(process, deadline_s=60, every_s=0.5):
    """Stop a running wrk as Ctrl-C would, and return what it printed (its summary included).
    SIGINT again until it exits: wrk ignores SIGINT until its main thread has started every
    thread (one Lua state each: a while, for 200 threads on a busy machine), and one that comes
    after its handler is set but before it sleeps is lost too; then wrk sleeps out its -d."""
    deadline = time.monotonic() + deadline_s
    while True:
        process.send_signal(signal.SIGINT)
        try:
            return process.communicate(timeout=every_s)[0]
        except subprocess.TimeoutExpired:  # retrying communicate loses no output
            if time.monotonic() >= deadline:
                raise


def children_clock():
    """Now, and the CPU this process's finished children have used: for cores_since."""
    return time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)


def cores_since(clock):
    """The cores the children that finished since children_clock() used, on average."""
    start, before = clock
    wall, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / wall


def parse(output, wrk_cores=0.0):
    percentiles = {p: float(value) * _UNIT_MS[unit] for p, value, unit in _PERCENTILE.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Load(
        rate=float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        wrk_cores=wrk_cores,
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
    )
