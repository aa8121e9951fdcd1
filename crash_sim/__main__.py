"""python -m crash_sim batch [--url URL] [--stock 4] [--buyers 10]
python -m crash_sim bench [--url URL] [--dtm-url URL] [--buyers 400]

batch: the batch scenario from outside, against a running business service (make up),
its lines printed with the elapsed time of each. bench: throughput figures (bench.py).
"""
import argparse
import sys
import time

from busi.config import Config
from crash_sim.batch import BatchError, run_batch
from crash_sim.bench import run_bench
from crash_sim.client import BusiClient


def main(argv=None):
    config = Config.from_env()
    parser = argparse.ArgumentParser(prog="python -m crash_sim", description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="one crash purchase, then concurrent buyers")
    batch.add_argument("--url", default=config.busi_url, help="the business service's API base URL")
    batch.add_argument("--stock", type=int, default=4, help="units to sell (default 4)")
    batch.add_argument("--buyers", type=int, default=10, help="concurrent buyers after the crash (default 10)")
    batch.add_argument("--product-id", type=int, default=1)
    bench = commands.add_parser("bench", help="purchases/s, and DTM calls pooled vs per connection")
    bench.add_argument("--url", default=config.busi_url, help="the business service's API base URL")
    bench.add_argument("--dtm-url", default=config.dtm_url)
    bench.add_argument("--buyers", type=int, default=400)
    args = parser.parse_args(argv)

    if args.command == "bench":
        lines = run_bench(args.url, args.dtm_url, args.buyers)
    else:
        lines = run_batch(BusiClient(args.url), args.stock, args.buyers, args.product_id)
    start = time.monotonic()
    try:
        for line in lines:
            print(f"[{time.monotonic() - start:6.2f}s] {line}", flush=True)
    except (BatchError, OSError) as err:
        print(f"[{time.monotonic() - start:6.2f}s] error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
