"""`python -m bench` (`make bench`): every benchmark, one table of ratios against baselines.

Each figure stands beside its baseline measured in the same run on the same machine, so the
ratio means something on a noisy machine. Every measurement runs in its own process (the
recompute's peak memory is that process's ru_maxrss). The table goes to stdout and to
bench/results/latest.md; the growth plot (recompute and pages at 100k, 300k and 1M orders)
to docs/performance-growth.png. Exit status 1 when a ratio misses its target.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PLOT = ROOT / "docs" / "performance-growth.png"

# Targets from the issues: import <= 3x COPY (4); full recompute <= 10x the scan, nightly
# <= 2x (5); pages <= 3x a trivial view (8). Throughput uses the page target; the growth
# rows say "near-linear or better" (cost exponent <= 1.15 between 100k and 1M orders) and
# "pages flat" (1M / 100k median <= 1.5 and the same number of queries).
TARGET_IMPORT, TARGET_FULL, TARGET_NIGHTLY, TARGET_PAGE = 3.0, 10.0, 2.0, 3.0
TARGET_EXPONENT, TARGET_FLAT = 1.15, 1.5


@dataclass
class Row:
    measure: str
    value: str
    baseline: str
    ratio: float | None = None
    target: float | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.ratio is None or self.target is None or self.ratio <= self.target

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        target = "" if self.target is None else f"≤ {self.target:g}"
        verdict = "" if self.target is None else ("ok" if self.ok else "MISSES")
        return [self.measure, self.value, self.baseline, ratio, target, verdict, self.note]


def run(args: list[str], *, log) -> tuple[str, int, float]:
    """Run `python -m bench ARGS` in its own process: (stdout, exit status, peak RSS in MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    log(f"  python -m bench {' '.join(args)}: {time.perf_counter() - started:.0f} s")
    return output, process.returncode, usage.ru_maxrss / 1024


def _json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _clv(output: str) -> dict[str, float]:
    """The seconds column of bench/clv.py's table (its own format; parsed, not changed)."""
    figures = {}
    for line in output.splitlines():
        match = re.match(r"(.+?)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if not match:
            continue
        label, seconds = match.group(1), float(match.group(2))
        if "baseline" in label:
            figures["scan"] = seconds
        elif label.startswith("fit "):
            figures["fit"] = seconds
        elif label.startswith("full refresh") and "refresh" not in figures:
            figures["refresh"] = seconds  # the first run: fit, score and write everything
            figures["refresh_label"] = label
        elif label.startswith("full refresh, again"):
            figures["again"] = seconds
    return figures


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(size): 1 is linear growth."""
    xs = [math.log(n) for n in sizes]
    ys = [math.log(max(s, 1e-9)) for s in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def plot(growth: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = growth["orders"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for key, label, style in (
        ("full", "full recompute", "o-"),
        ("nightly", "nightly recompute", "s-"),
        ("scan", "GROUP BY scan (baseline)", "^--"),
    ):
        left.plot(sizes, growth[key], style, label=label)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("orders in the tenant")
    left.set_ylabel("seconds")
    left.set_title("Recompute time by tenant size")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    for name in ("portfolio", "portfolio_typical", "department", "board", "trivial"):
        right.plot(sizes, [v * 1000 for v in growth["pages"][name]], "o-", label=name)
    right.set_xscale("log")
    right.set_ylim(bottom=0)
    right.set_xlabel("orders in the tenant")
    right.set_ylabel("median server time (ms)")
    right.set_title("Page server time")
    right.grid(True, which="both", alpha=0.3)
    right.legend()
    for axis in (left, right):
        axis.set_xticks(sizes, [f"{n // 1000:,}k" for n in sizes])
        axis.minorticks_off()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(rows: list[Row], header: list[str]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def text_table(rows: list[Row], header: list[str]) -> str:
    cells = [header] + [row.cells() for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--skip", action="append", default=[], help="import, clv, load, growth")
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731

    from bench.env import bench_packages

    bench_packages()
    from bench.setup import use_scratch_database

    use_scratch_database()
    from bench.dataset import BIG, SMALL, tenant_ensure

    log("data set:")
    for spec in (BIG, *SMALL):
        tenant_ensure(spec, log=lambda m: log("  " + m))

    rows: list[Row] = []
    failures: list[str] = []

    def measured(label: str, bench_args: list[str]):
        output, status, rss = run(bench_args, log=log)
        if status not in (0, 1):
            failures.append(f"{label}: exit status {status}")
            return None, rss
        return output, rss

    # Import (issue 4).
    if "import" not in args.skip:
        output, _ = measured("import", ["import_orders", "--rows", str(args.import_rows), "--json"])
        if output:
            f = _json(output)
            n = f["rows"]
            rows.append(
                Row(
                    f"import {n:,} order rows (validate + upsert)",
                    f"{n / f['import']:,.0f} rows/s",
                    f"COPY {n / f['copy']:,.0f} rows/s",
                    f["import"] / f["copy"],
                    TARGET_IMPORT,
                    f"{_s(f['import'])} vs {_s(f['copy'])}",
                )
            )
            rows.append(
                Row(
                    "re-import, nothing changes",
                    f"{n / f['reimport']:,.0f} rows/s",
                    "COPY",
                    f["reimport"] / f["copy"],
                    None,
                    _s(f["reimport"]),
                )
            )
            rows.append(
                Row(
                    "COPY of resolved rows into an orders-shaped table",
                    f"{n / f['shaped']:,.0f} rows/s",
                    "COPY",
                    f["shaped"] / f["copy"],
                    None,
                    "the storage cost alone (indexes, foreign keys)",
                )
            )

    # Recompute (issue 5), the worker's peak memory, and the growth points.
    growth = {"orders": [], "scan": [], "full": [], "nightly": [], "queries": {}}
    growth["pages"] = {
        name: [] for name in ("portfolio", "portfolio_typical", "department", "board", "trivial")
    }
    specs = (*SMALL, BIG) if "growth" not in args.skip else (BIG,)
    page_figures = {}
    for spec in specs:
        big = spec is BIG
        # Every tenant runs the whole nightly job too: the growth points' pages then show
        # what the big tenant's show (scores, personas, account lists), not empty lists.
        output, rss = measured(
            f"recompute {spec.slug}", ["recompute", "--tenant", spec.slug, "--json"]
        )
        if output:
            f = _json(output)
            growth["orders"].append(spec.orders)
            for key in ("scan", "full", "nightly"):
                growth[key].append(f[key])
            if big:
                rows.append(
                    Row(
                        f"full recompute ({f['full_measurements']:,} measurements)",
                        _s(f["full"]),
                        f"GROUP BY scan {_s(f['scan'])}",
                        f["full"] / f["scan"],
                        TARGET_FULL,
                    )
                )
                rows.append(
                    Row(
                        f"nightly recompute ({f['nightly_measurements']:,} measurements)",
                        _s(f["nightly"]),
                        f"GROUP BY scan {_s(f['scan'])}",
                        f["nightly"] / f["scan"],
                        TARGET_NIGHTLY,
                    )
                )
                if f.get("job") is not None:
                    rows.append(
                        Row(
                            "nightly tenant job (customer scores, personas, KPIs)",
                            _s(f["job"]),
                            f"GROUP BY scan {_s(f['scan'])}",
                            f["job"] / f["scan"],
                            None,
                        )
                    )
                rows.append(
                    Row(
                        "peak memory of the recompute worker",
                        f"{rss:,.0f} MB",
                        "",
                        None,
                        None,
                        "ru_maxrss of the process (full + nightly + tenant job)",
                    )
                )
        load = [] if big and "load" not in args.skip else ["--no-load"]
        output, _ = measured(
            f"pages {spec.slug}",
            ["pages", "--tenant", spec.slug, "--requests", str(args.requests), "--json", *load],
        )
        if output:
            page_figures[spec.slug] = _json(output)
            for name, row in page_figures[spec.slug]["pages"].items():
                # rendered from the stored measurements (a cache hit would be flat anyway)
                growth["pages"][name].append(row.get("cold_median", row["median"]))
                growth["queries"].setdefault(name, []).append(
                    row.get("cold_queries", row["queries"])
                )
                growth.setdefault("accounts", {}).setdefault(name, []).append(row.get("accounts"))

    # Customer analytics (issue 6): bench/clv.py, run as it is.
    if "clv" not in args.skip:
        output, _ = measured("clv", ["clv"])
        c = _clv(output or "")
        if "refresh" in c and "scan" in c:
            rows.append(
                Row(
                    "CLV fit + scoring, " + c["refresh_label"].removeprefix("full refresh, "),
                    _s(c["refresh"]),
                    f"count/sum scan {_s(c['scan'])}",
                    c["refresh"] / c["scan"],
                    None,
                    "; ".join(
                        f"{label} {_s(c[key])}"
                        for key, label in (("fit", "fit alone"), ("again", "a second run"))
                        if key in c
                    ),
                )
            )
        else:
            failures.append("clv: no figures in its output")

    # Pages (issue 8) and throughput.
    pages = page_figures.get(BIG.slug)
    if pages:
        trivial = pages["pages"]["trivial"]
        for name in ("portfolio", "department", "board"):
            p = pages["pages"][name]
            rows.append(
                Row(
                    f"{name} page, median / p95 ({p['queries']} queries)",
                    f"{_ms(p['median'])} / {_ms(p['p95'])}",
                    f"trivial view {_ms(trivial['median'])} / {_ms(trivial['p95'])}",
                    p["median"] / trivial["median"],
                    TARGET_PAGE,
                    f"p95 ratio {p['p95'] / trivial['p95']:.2f}; a repeat visit (page cache)",
                )
            )
            rows.append(
                Row(
                    f"{name} page, first visit after a data change, median / p95 "
                    f"({p['cold_queries']} queries)",
                    f"{_ms(p['cold_median'])} / {_ms(p['cold_p95'])}",
                    f"trivial view {_ms(trivial['median'])} / {_ms(trivial['p95'])}",
                    p["cold_median"] / trivial["median"],
                    None,
                    "informative: rendered from the stored measurements (cache emptied)",
                )
            )
        load = pages.get("load")
        if load:
            board, plain = load["board"], load["trivial"]
            errors = board["errors"] + plain["errors"]
            rows.append(
                Row(
                    "board page under load (wrk, 8 connections, 10 s)",
                    f"{board['rps']:,.1f} requests/s",
                    f"trivial view {plain['rps']:,.1f} requests/s",
                    plain["rps"] / board["rps"] if board["rps"] else math.inf,
                    TARGET_PAGE,
                    f"{errors} non-2xx responses" if errors else "",
                )
            )
            if errors:
                failures.append(f"load: {errors} non-2xx responses")

    # Growth (issue 10).
    if len(growth["orders"]) == 3:
        sizes = growth["orders"]
        span = f"{sizes[0] // 1000:,}k → {sizes[-1] // 1000:,}k orders"
        for key, label in (("full", "full recompute"), ("nightly", "nightly recompute")):
            rows.append(
                Row(
                    f"growth of the {label}, {span}",
                    " / ".join(_s(s) for s in growth[key]),
                    "cost exponent (1 = linear)",
                    exponent(sizes, growth[key]),
                    TARGET_EXPONENT,
                    f"scan: {' / '.join(_s(s) for s in growth['scan'])}",
                )
            )
        if all(len(v) == 3 for v in growth["pages"].values()):
            for name, label, target, note in (
                (
                    "portfolio_typical",
                    "portfolio page (a rep with a typical book)",
                    TARGET_FLAT,
                    "",
                ),
                (
                    "portfolio",
                    "portfolio page (the rep with the most accounts)",
                    None,
                    "informative: the book grows with the number of reps",
                ),
                ("department", "department page", TARGET_FLAT, ""),
                ("board", "board page", TARGET_FLAT, ""),
            ):
                books = growth.get("accounts", {}).get(name, [])
                if books and None not in books:
                    accounts = " / ".join(f"{n:,}" for n in books) + " accounts"
                    note = f"{note}; {accounts}" if note else accounts
                medians, queries = growth["pages"][name], growth["queries"][name]
                flat = medians[-1] / medians[0] if len(set(queries)) == 1 else math.inf
                rows.append(
                    Row(
                        f"{label} at {span}, first visit after a data change",
                        " / ".join(_ms(s) for s in medians),
                        "1M / 100k median; queries " + " / ".join(map(str, queries)),
                        flat,
                        target,
                        note,
                    )
                )
            plot(growth, PLOT)
            log(f"growth plot: {PLOT.relative_to(ROOT)}")

    header = ["measure", "value", "baseline (same run)", "ratio", "target", "", "note"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_average = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    context = (
        f"{when} · {platform.node()} · {os.cpu_count()} CPUs · load {load_average} · "
        f"data set: {BIG.orders:,} orders / {BIG.customers:,} customers / {BIG.reps} reps "
        f"(+ {', '.join(f'{s.orders // 1000}k' for s in SMALL)} tenants)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    missed = [row.measure for row in rows if not row.ok]
    verdict = (
        "All ratios meet their targets."
        if not missed and not failures
        else "Misses: " + "; ".join(missed + failures) + "."
    )
    (RESULTS / "latest.md").write_text(
        f"# Benchmark results\n\n{context}\n\n{markdown(rows, header)}\n\n{verdict}\n",
        encoding="utf-8",
    )
    print(context)
    print(text_table(rows, header))
    print(verdict)
    print(f"(written to {(RESULTS / 'latest.md').relative_to(ROOT)})")
    return 0 if not missed and not failures else 1
