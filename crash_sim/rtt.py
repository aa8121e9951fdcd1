"""python -m crash_sim bench --rtt 0,1,2,4: the tiers apart (docs/tiers-apart.md).

Every strategy's success and sold-out loads under wrk, against a second service whose every link
to another tier goes through Toxiproxy (scripts/stack.sh rtt-up): to MySQL, to Redis, to DTM,
and DTM's calls back to its branches. At each RTT every link's round trip is that much longer.
First the same loads against the direct stack, which shows what the proxies cost at RTT 0.
Then one table, where each strategy's line crosses dtm's, and a chart (matplotlib).
"""

import subprocess

from busi.config import API_PREFIX, REPO_DIR, RTT_STACK
from busi.domain.strategies import STRATEGIES
from busi.scenarios.client import operator_client
from crash_sim import bench, show, toxiproxy

RTT_PRODUCT = 999_005
CHART = REPO_DIR / "docs" / "tiers-apart.png"
KINDS = {"success": 10**9, "sold out": 0}  # a load's kind: the stock it starts with
DIRECT = "direct"  # the stack without the proxies, at RTT 0


def run(config, rtts, seconds=6, connections=50, chart=CHART):
    subprocess.run(["bash", "scripts/stack.sh", "rtt-up"], cwd=REPO_DIR, check=True, stdout=subprocess.DEVNULL)
    direct = operator_client(config)
    apart = operator_client(config, f"http://127.0.0.1:{RTT_STACK['busi_port']}{API_PREFIX}")
    yield (
        f"wrk, {connections} connections, {seconds} s a load; every strategy's success and sold-out "
        f"loads, direct, then through Toxiproxy at RTT {', '.join(map(str, rtts))} ms"
    )
    loads = {}  # (where: DIRECT or an RTT, strategy, kind) -> wrk.Load
    try:
        toxiproxy.reset()
        for where in [DIRECT, *rtts]:
            if where != DIRECT:
                toxiproxy.set_rtt(where)
            client = direct if where == DIRECT else apart
            for strategy in STRATEGIES:
                for kind, stock in KINDS.items():
                    load = bench.purchase_load(client, strategy, stock, seconds, connections, RTT_PRODUCT)
                    loads[where, strategy, kind] = load
                    yield f"  {where if where == DIRECT else f'RTT {where} ms':8} {strategy:9} {kind:8} {load.line()}"
    finally:
        toxiproxy.reset()
    yield from show.table_lines(HEADERS, rows(loads, rtts))
    yield from crossings(loads, rtts)
    draw(loads, rtts, chart, seconds, connections)
    yield f"chart: {chart}"


HEADERS = ["strategy", "RTT ms", "success/s", "p50 ms", "p99 ms", "sold out/s", "p50 ms", "p99 ms"]


def rows(loads, rtts):
    table = []
    for strategy in STRATEGIES:
        for where in [DIRECT, *rtts]:
            success, sold_out = (loads[where, strategy, kind] for kind in KINDS)
            table.append(
                [strategy, "0, direct" if where == DIRECT else where]
                + [f"{success.rate:.0f}", f"{success.p50_ms:.1f}", f"{success.p99_ms:.1f}"]
                + [f"{sold_out.rate:.0f}", f"{sold_out.p50_ms:.1f}", f"{sold_out.p99_ms:.1f}"]
            )
    return table


def crossings(loads, rtts):
    """What the proxies cost at RTT 0, and from which RTT dtm sells more per second than each other strategy."""
    for strategy in STRATEGIES if 0 in rtts else ():
        cost = loads[0, strategy, "success"].rate / loads[DIRECT, strategy, "success"].rate
        yield f"  {strategy}: through the proxies at RTT 0, {cost:.2f}x the direct rate"
    for strategy in STRATEGIES:
        if strategy == "dtm":
            continue
        ahead = [rtt for rtt in rtts if loads[rtt, "dtm", "success"].rate >= loads[rtt, strategy, "success"].rate]
        ratios = ", ".join(
            f"{rtt} ms {loads[rtt, 'dtm', 'success'].rate / loads[rtt, strategy, 'success'].rate:.2f}x" for rtt in rtts
        )
        where = f"from RTT {ahead[0]} ms" if ahead else "at no RTT measured"
        yield f"  dtm success / {strategy} success: {ratios}; dtm sells more {where}"


def draw(loads, rtts, path, seconds, connections):
    """Purchases/s and sold-out answers/s against RTT, a line per strategy."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.2))
    for axis, kind, title in zip(axes, KINDS, ("units sold per second", "sold-out answers per second"), strict=True):
        for strategy in STRATEGIES:
            axis.plot(rtts, [loads[rtt, strategy, kind].rate for rtt in rtts], marker="o", label=strategy)
        axis.set(title=title, xlabel="RTT between tiers, ms (Toxiproxy)", xticks=rtts)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    axes[0].legend()
    command = f"python -m crash_sim bench --rtt {','.join(map(str, rtts))}"
    figure.suptitle(f"{command}  (wrk, {connections} connections, {seconds} s a load)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
