"""Run the benchmarks: `python -m bench` (all of them, one table; `make bench`), or one of
them: `python -m bench import_orders [--rows N]`, `recompute`, `pages`, `clv`."""

import argparse
import importlib
import sys

BENCHES = {
    "all": "bench.suite",
    "import_orders": "bench.import_orders",
    "recompute": "bench.recompute",
    "pages": "bench.pages",
    "clv": "bench.clv",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve":  # the WSGI server of the load test (bench.pages)
        from bench.pages import serve

        return serve(argv[1:])
    if not argv or argv[0].startswith("-"):
        argv = ["all", *argv]
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=sorted(BENCHES))
    args, rest = parser.parse_known_args(argv[:1])
    module = importlib.import_module(BENCHES[args.name])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
