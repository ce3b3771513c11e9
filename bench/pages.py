"""Server time of the three pages beside a trivial one-query view, and throughput under load.

- Server time: Django's test client in this process (no network), median and p95 of N timed
  requests after a warm-up, for the rep's portfolio, the department page and the board, each
  as the user who would open it, beside `bench.urls.trivial` (the same middleware, one query).
  Target (issue 8): each page <= 3x the trivial view.
- Throughput: a WSGI server (waitress, 4 threads) on 127.0.0.1 serving the same URLconf,
  driven by `wrk` for a bounded run per URL with a logged-in session; requests/s of the board
  beside the trivial view.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAGES = ("portfolio", "department", "board")
TARGET_PAGE = 3.0
ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _client_for(user):
    import logging

    from django.test import Client

    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per login otherwise

    client = Client()
    client.force_login(user)
    return client


def server_times(tenant, *, requests: int = 30, warmup: int = 3) -> dict:
    """{name: {median, p95, queries, cold_median, cold_p95, cold_queries, bytes}} (seconds) for
    the pages and the trivial view.

    "Warm" is a repeat visit: the page's content comes from the page cache (portal.pagecache),
    which is what every visit but the first after a data change gets. "Cold" empties the cache
    before each request: the content rendered from the stored measurements, as on the first
    visit after a recompute, an import or an edit. Requests are interleaved (one of each page
    per round) so that drift in the machine's load hits every page and the baseline alike."""
    from django.core.cache import cache
    from django.db import connection
    from django.urls import reverse

    from bench.dataset import users

    people = users(tenant)
    urls = {name: reverse(f"portal:{name}", args=[tenant.slug]) for name in PAGES}
    # The same page for a rep with a typical book (bench.dataset.users): what the growth over
    # tenant sizes is judged on.
    urls["portfolio_typical"] = urls["portfolio"]
    urls["trivial"] = reverse("bench_trivial", args=[tenant.slug])
    owners = {**people, "trivial": people["board"]}
    clients = {name: _client_for(owners[name]) for name in urls}

    def get(name):
        response = clients[name].get(urls[name])
        if response.status_code != 200:
            raise RuntimeError(f"{urls[name]} answered {response.status_code} for {owners[name]}")
        return response

    def queries_of(name, *, cold):
        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        if cold:
            cache.clear()
        with connection.execute_wrapper(count):
            get(name)
        return len(queries)

    for _ in range(warmup):
        for name in urls:
            get(name)
    out = {name: {"url": url, "warm": [], "cold": []} for name, url in urls.items()}
    for name in urls:
        out[name]["cold_queries"] = queries_of(name, cold=True)
        out[name]["queries"] = queries_of(name, cold=False)
    for kind in ("cold", "warm"):
        if kind == "warm":  # the cold rounds left the cache empty: one visit each fills it
            for name in urls:
                get(name)
        for _ in range(requests):
            for name in urls:
                if kind == "cold":
                    cache.clear()
                started = time.perf_counter()
                response = get(name)
                out[name][kind].append(time.perf_counter() - started)
                out[name]["bytes"] = len(response.content)
    for name, row in out.items():
        row["accounts"] = getattr(owners[name], "bench_accounts", None)
        warm, cold = row.pop("warm"), row.pop("cold")
        row.update(
            median=statistics.median(warm),
            p95=_percentile(warm, 0.95),
            cold_median=statistics.median(cold),
            cold_p95=_percentile(cold, 0.95),
        )
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the benchmark server did not listen on port {port}")


def _wrk_install() -> str:
    """Debian's wrk, installed with apt-get when we may (root), else a clear error."""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("the load test needs wrk: apt-get install wrk")
    return wrk


def throughput(
    tenant, *, seconds: int = 10, connections: int = 8, threads: int = 4
) -> dict[str, dict]:
    """{name: {rps, errors}} for the board page and the trivial view under wrk."""
    from django.urls import reverse

    from bench.dataset import users

    wrk = shutil.which("wrk") or _wrk_install()
    client = _client_for(users(tenant)["board"])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench", "serve", "--port", str(port), "--threads", str(threads)],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        _wait_for(port)
        out = {}
        for name, route in (("board", "portal:board"), ("trivial", "bench_trivial")):
            url = f"http://127.0.0.1:{port}{reverse(route, args=[tenant.slug])}"
            subprocess.run(  # warm up the server's threads and connections
                [wrk, "-t1", "-c2", "-d2s", "-H", f"Cookie: {cookie}", url],
                check=True,
                capture_output=True,
            )
            result = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
            errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result)
            out[name] = {"rps": rps, "errors": int(errors.group(1)) if errors else 0}
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def serve(argv: list[str]) -> int:
    """`python -m bench serve --port N`: the product plus the trivial view, on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="python -m bench serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    from bench.env import bench_packages
    from bench.setup import use_scratch_database

    bench_packages()
    use_scratch_database(migrate=False)
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.urls"
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a queue is the point here

    from koers.wsgi import application

    waitress.serve(application, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench pages")
    parser.add_argument("--tenant", default="bench-big", help="a slug of bench.dataset")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--no-load", action="store_true", help="skip the wrk throughput run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    from bench.setup import use_scratch_database

    use_scratch_database()
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.urls"
    from bench.dataset import SPECS, tenant_ensure

    spec = next(s for s in SPECS if s.slug == args.tenant)
    tenant = tenant_ensure(spec)
    figures = {"tenant": tenant.slug, "pages": server_times(tenant, requests=args.requests)}
    if not args.no_load:
        figures["load"] = throughput(tenant)
    if args.json:
        print(json.dumps(figures))
        return 0
    trivial = figures["pages"]["trivial"]
    print(
        f"{'page':<18}{'median ms':>10}{'p95 ms':>9}{'ratio':>7}{'queries':>9}"
        f"{'cold median':>13}{'cold p95':>10}{'ratio':>7}{'queries':>9}"
    )
    worst = 0.0
    for name, row in figures["pages"].items():
        ratio = row["median"] / trivial["median"]
        cold = row["cold_median"] / trivial["median"]
        worst = max(worst, ratio if name != "trivial" else 0)
        print(
            f"{name:<18}{row['median'] * 1000:>10.1f}{row['p95'] * 1000:>9.1f}"
            f"{ratio:>7.2f}{row['queries']:>9}"
            f"{row['cold_median'] * 1000:>13.1f}{row['cold_p95'] * 1000:>10.1f}"
            f"{cold:>7.2f}{row['cold_queries']:>9}"
        )
    for name, row in figures.get("load", {}).items():
        print(f"{name:<12}{row['rps']:>10.1f} requests/s ({row['errors']} errors)")
    return 0 if worst <= TARGET_PAGE else 1
