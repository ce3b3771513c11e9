"""Run a benchmark: `python -m bench import_orders [--rows N]` (PostgreSQL, scratch database)."""

import argparse
import importlib
import sys

BENCHES = {"import_orders": "bench.import_orders", "recompute": "bench.recompute"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=sorted(BENCHES), nargs="?", default="import_orders")
    args, rest = parser.parse_known_args(argv)
    module = importlib.import_module(BENCHES[args.name])
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
