"""python -m crash_sim batch [--url URL] [--stock 4] [--buyers 10]
python -m crash_sim bench [--url URL] [--dtm-url URL] [--only ratios dtm fsync scale costs] | --rtt 0,1,2,4
python -m crash_sim faults [--ha] [--only KEY ...] [--buyers 200] [--stock 60]
python -m crash_sim compare [--stock 100] [--buyers 1000] [--concurrency 50] [--only STRATEGY ...]
python -m crash_sim sale [--stock 50] [--restock 10] [--buyers 200] [--pay 0.6] [--short 0.1] [--crash 3]
python -m crash_sim chaos [--minutes 10] [--seed 7]
python -m crash_sim stream_bench [--viewers 1000] [--seconds 8] [--rounds 2]

batch: the batch scenario from outside, against a running business service (make up),
its lines printed with the elapsed time of each. bench: throughput figures (bench.py; --rtt: rtt.py).
faults: the fault matrix against the local stack (faults.py, network_faults.py); exit 1 unless
every row held, and every network row's fault was seen.
compare: every purchase strategy under the same crowd, with and without crashes (compare.py).
sale: purchases, payments and expiry to the end, and a balance sheet (sale.py); exit 1 unless it held.
chaos: sales one after the other while a seeded nemesis breaks the stack; then every product
audited (chaos.py); exit 1 on any violation.
stream_bench: the stock stream with 1,000 viewers under a sale: delays, the purchase rate's ratio,
the stream server's CPU and memory (stream_bench.py).

While they run, their progress goes to stderr, and their results (lines, tables) to stdout (show.py).
"""

import argparse
import itertools
import sys

from busi.config import Config
from busi.domain.strategies import STRATEGIES
from busi.scenarios import compare
from busi.scenarios.batch import BatchError, run_batch
from busi.scenarios.client import operator_client
from crash_sim import costs, faults, rtt, scale, show, stream_bench
from crash_sim.bench import SECTIONS, run_bench
from crash_sim.chaos import Chaos
from crash_sim.sale import Sheet, run_sale


def main(argv=None):
    config = Config.from_env()
    parser = argparse.ArgumentParser(prog="python -m crash_sim", description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="one crash purchase, then concurrent buyers")
    batch.add_argument("--url", default=config.busi_url, help="the business service's API base URL")
    batch.add_argument("--stock", type=int, default=4, help="units to sell (default 4)")
    batch.add_argument("--buyers", type=int, default=10, help="concurrent buyers after the crash (default 10)")
    batch.add_argument("--product-id", type=int, default=1)
    bench = commands.add_parser(
        "bench", help="the purchase paths' rates and ratios; DTM calls pooled vs per connection; fsync's cost"
    )
    bench.add_argument("--url", default=config.busi_url, help="the business service's API base URL")
    bench.add_argument("--dtm-url", default=config.dtm_url)
    bench.add_argument(
        "--only",
        nargs="+",
        choices=(*SECTIONS, "scale", "costs"),
        default=SECTIONS,
        help="these sections only (scale: HA=1; costs: a rush per strategy, the cost of a buyer on each store)",
    )
    bench.add_argument(
        "--rtt",
        type=lambda text: [int(ms) for ms in text.split(",")],
        help="instead of the sections: every strategy at each RTT (ms, e.g. 0,1,2,4) between the tiers, via Toxiproxy",
    )
    matrix = commands.add_parser("faults", help="every fault of the matrix, one sale each; a table")
    matrix.add_argument("--only", nargs="+", choices=list(faults.BY_KEY), help="these rows only")
    matrix.add_argument("--ha", action="store_true", help="also one of many failing: the HA stack's rows (HA=1)")
    matrix.add_argument("--buyers", type=int, default=faults.BUYERS)
    matrix.add_argument("--stock", type=int, default=faults.STOCK)
    side_by_side = commands.add_parser("compare", help="every strategy under the same crowd, then with crashes")
    side_by_side.add_argument("--stock", type=int, default=compare.STOCK)
    side_by_side.add_argument("--buyers", type=int, default=compare.BUYERS)
    side_by_side.add_argument("--concurrency", type=int, default=compare.CONCURRENCY)
    side_by_side.add_argument("--only", nargs="+", choices=list(STRATEGIES), default=list(STRATEGIES))
    sale = commands.add_parser("sale", help="buy, pay, expire; then the balance sheet")
    sale.add_argument("--stock", type=int, default=50)
    sale.add_argument("--restock", type=int, default=10, help="units added while the crowd buys")
    sale.add_argument("--buyers", type=int, default=200)
    sale.add_argument("--pay", type=float, default=0.6, help="share of the winners who pay")
    sale.add_argument("--short", type=float, default=0.1, help="share who try with too little")
    sale.add_argument("--crash", type=int, default=3, help="payments whose charge crashes")
    chaos = commands.add_parser("chaos", help="sales under a seeded random nemesis; then the audit")
    chaos.add_argument("--minutes", type=float, default=10)
    chaos.add_argument("--seed", type=int, default=7)
    streams = commands.add_parser("stream_bench", help="1,000 open stock streams while wrk buys: delays, rates, RSS")
    streams.add_argument("--viewers", type=int, default=1000)
    streams.add_argument("--seconds", type=int, default=8, help="each wrk run")
    streams.add_argument("--rounds", type=int, default=2, help="pairs of runs, without and with viewers (ABBA)")
    args = parser.parse_args(argv)

    if args.command == "faults":
        return run_faults(config, args)
    if args.command == "compare":
        return run_compare(config, args)
    if args.command == "chaos":
        return run_chaos(config, args)
    if args.command == "sale":
        lines = run_sale(config, args.stock, args.buyers, args.pay, args.short, args.crash, restock=args.restock)
    elif args.command == "stream_bench":
        client = operator_client(config)
        lines = stream_bench.run(config, client, args.viewers, args.seconds, args.rounds)
    elif args.command == "bench" and args.rtt is not None:
        lines = rtt.run(config, args.rtt)
    elif args.command == "bench":
        lines = run_bench(
            operator_client(config, args.url), args.dtm_url, config.redis_url, [s for s in args.only if s in SECTIONS]
        )
        if "costs" in args.only:  # a rush per strategy, through the tiers apart (docs/tiers-apart.md)
            lines = itertools.chain(lines, costs.run(config))
        if "scale" in args.only:  # the HA stack's pieces, one at a time (docs/scale.md)
            lines = itertools.chain(lines, scale.run(config))
    else:
        lines = run_batch(operator_client(config, args.url), args.stock, args.buyers, args.product_id)
    return print_lines(args.command, lines)


def print_lines(command, lines):
    """batch, bench and sale: each line with its time. 1 on an error, or if the sale's sheet
    (run_sale's last item) does not balance."""
    with show.Stamped(command) as stamp:
        try:
            for line in lines:
                if isinstance(line, Sheet):
                    return 1 if line.problems() else 0
                stamp(line)
        except (BatchError, OSError) as err:
            stamp.error(f"error: {err}")
            return 1
    return 0


def run_faults(config, args):
    matrix = faults.Matrix(config, buyers=args.buyers, stock=args.stock)
    chosen = [faults.BY_KEY[key] for key in args.only] if args.only else faults.FAULTS + args.ha * faults.HA_FAULTS
    if not config.ha and any(fault in faults.HA_FAULTS for fault in chosen):
        show.console(stderr=True).print("the HA rows need the HA stack: `make up-ha`, and HA=1 in the environment")
        return 2
    rows, broken = [], 0
    with show.Steps(len(chosen)) as steps:
        for fault in chosen:
            if not matrix.runnable(fault):
                why = (
                    f"its link's proxy is on the {'single' if matrix.config.ha else 'HA'} stack"
                    if fault.link
                    else f"{fault.server.upper()}_URL names a server this stack did not start"
                )
                steps.step(fault.label, f": skipped, {why}")
                continue
            steps.step(fault.label)
            row = matrix.run(fault)
            rows.append(row.cells())
            for problem in row.problems():
                broken += 1
                steps.note(f"    BROKEN: {problem}", style="red")
            if row.seen == "":
                broken += 1
                steps.note("    NOT SEEN: nothing shows the fault happened: the row tested nothing", style="red")
    show.print_table(faults.HEADERS, rows)
    return 1 if broken else 0


def run_chaos(config, args):
    with show.Stamped("chaos") as stamp:
        verdict = Chaos(config, args.minutes, args.seed, say=stamp).run()
        for line in verdict.lines():
            stamp(line)
    return 1 if verdict.broken else 0


def run_compare(config, args):
    comparison = compare.Comparison(config, args.stock, args.buyers, args.concurrency)
    rows, surprises = [], []
    with show.Steps(len(args.only)) as steps:
        for strategy in args.only:
            steps.step(
                strategy,
                f": {args.buyers} buyers, {args.concurrency} at a time, for {args.stock} units; "
                f"then again with {compare.CRASHES} crashes ...",
            )
            sale, crashed = comparison.run(strategy), comparison.run(strategy, compare.CRASHES)
            rows.append(compare.row(strategy, sale, crashed))
            surprise = compare.surprise(strategy, sale, crashed)
            surprises.append(surprise)
            verdict = compare.verdict(strategy, sale, crashed)
            steps.note(f"    {strategy}: {verdict}", style="red" if surprise else "green")
    show.print_table(compare.HEADERS, rows)
    # naive's oversell is a race it usually, not always, loses; the others' outcomes are certain.
    return 1 if any(surprises[i] for i, s in enumerate(args.only) if s != "naive") else 0


if __name__ == "__main__":
    sys.exit(main())
