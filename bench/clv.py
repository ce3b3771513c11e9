"""Customer analytics (CLV fit + scoring + signals) beside one scan of the orders table, and
beside the `lifetimes` library fitting the same summary.

Data: 1,000,000 orders / 20,000 customers (bench.setup.big_tenant, generated once into the
scratch database and reused). Timed: the load of the orders into per-customer-day arrays, the
BG/NBD and Gamma-Gamma fits, and the full nightly refresh (load, fit, score, write 20,000
CustomerScore rows and the signals) twice: the first run inserts, the second updates. The
baseline is `SELECT count(*), sum(amount)` over the tenant's orders.

`lifetimes` (0.11.3, pandas + autograd) cannot live in the project's environment; the bench
creates its own venv under var/ (pip from PyPI, pinned versions that install on Python 3.11),
writes the summary (x, t_x, T, m_x) to a file and times BetaGeoFitter and GammaGammaFitter on
it in a subprocess, with the same predictions (P(alive), expected purchases in 52 weeks,
expected order value). `--no-lifetimes` skips that part.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads: the fits call BLAS on short vectors, where thread
# hand-offs cost more than they give (2-3x slower fits on a busy 2-core machine). The same
# setting is recommended for Celery workers. `OPENBLAS_NUM_THREADS=0` in the environment
# keeps OpenBLAS's default instead.
if os.environ.get("OPENBLAS_NUM_THREADS") == "0":
    del os.environ["OPENBLAS_NUM_THREADS"]
else:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.setup import big_tenant, use_scratch_database  # noqa: E402

AS_OF = date(2026, 10, 20)
ROOT = Path(__file__).resolve().parent.parent
LIFETIMES_VENV = ROOT / "var" / "bench-lifetimes-venv"
LIFETIMES_REQUIREMENTS = [
    "lifetimes==0.11.3",
    "numpy==1.26.4",
    "scipy==1.11.4",
    "pandas==2.1.4",
    "autograd==1.6.2",
    "dill==0.3.8",
]
SUMMARY_FILE = ROOT / "var" / "bench-clv-summary.npz"
HORIZON_WEEKS = 52.18

# Runs inside the lifetimes venv: fit and predict on the summary, print timings as JSON.
LIFETIMES_SCRIPT = """
import json, sys, time, warnings
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
warnings.simplefilter("ignore")
data = np.load(sys.argv[1])
frame = pd.DataFrame({k: data[k] for k in ("x", "t_x", "T", "m_x")})
horizon = float(sys.argv[2])
out = {}
from lifetimes.utils import summary_data_from_transaction_data
tx = pd.DataFrame({"customer": data["tx_customer"], "amount": data["tx_amount"],
                   "day": data["tx_day"].astype("datetime64[D]")})
started = time.perf_counter()
summary = summary_data_from_transaction_data(
    tx, "customer", "day", monetary_value_col="amount",
    observation_period_end=str(data["end"].astype("datetime64[D]")), freq="D")
out["summary"] = time.perf_counter() - started
out["summary_repeats"] = int(summary["frequency"].sum())
started = time.perf_counter()
bg = BetaGeoFitter().fit(frame["x"], frame["t_x"], frame["T"])
out["fit_bgnbd"] = time.perf_counter() - started
repeat = frame[(frame["x"] > 0) & (frame["m_x"] > 0)]
started = time.perf_counter()
gg = GammaGammaFitter().fit(repeat["x"], repeat["m_x"])
out["fit_gamma_gamma"] = time.perf_counter() - started
started = time.perf_counter()
alive = np.asarray(bg.conditional_probability_alive(frame["x"], frame["t_x"], frame["T"]))
expected = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(
    horizon, frame["x"], frame["t_x"], frame["T"]))
aov = np.asarray(gg.conditional_expected_average_profit(frame["x"], frame["m_x"].fillna(0)))
out["predict"] = time.perf_counter() - started
out["nan_predictions"] = int((~np.isfinite(alive) | ~np.isfinite(expected)).sum())
out["bgnbd"] = {k: float(v) for k, v in bg.params_.items()}
out["gamma_gamma"] = {k: float(v) for k, v in gg.params_.items()}
print(json.dumps(out))
"""


def _bench_tenant_ensure(slug: str = "bench-big") -> None:
    """Create the bench tenant with an exact discount rate: `tenant_create` runs full_clean,
    which rejects the float default of `Tenant.clv_discount_rate` (0.1 is not 0.100)."""
    from portal.models import Tenant

    Tenant.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "Bench Groothandel",
            "locale": "nl",
            "clv_discount_rate": Decimal("0.100"),
        },
    )


def lifetimes_python() -> Path:
    """The venv's python, created with lifetimes and its dependencies on first use."""
    python = LIFETIMES_VENV / "bin" / "python"
    check = [str(python), "-c", "import lifetimes, pandas, autograd"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {LIFETIMES_VENV.relative_to(ROOT)} (pip: {' '.join(LIFETIMES_REQUIREMENTS)})")
    subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *LIFETIMES_REQUIREMENTS], check=True)
    return python


def lifetimes_run(summary, days) -> dict:
    """lifetimes on the same data: its summary from the purchase rows (customer, day, amount;
    returns left out), and its fits and predictions on our summary."""
    import numpy as np

    from customers.analytics import bgnbd
    from customers.analytics.summary import EPOCH_ORDINAL

    x, t_x, T, m_x = summary.fit_arrays()  # noqa: N806
    SUMMARY_FILE.parent.mkdir(exist_ok=True)
    purchases = ~days.is_return & (days.day <= AS_OF.toordinal())
    np.savez(
        SUMMARY_FILE,
        x=x,
        t_x=t_x,
        T=T,
        m_x=m_x,
        tx_customer=days.customer[purchases],
        tx_day=days.day[purchases] - EPOCH_ORDINAL,
        tx_amount=days.amount[purchases],
        end=np.array(AS_OF.toordinal() - EPOCH_ORDINAL),
    )
    python = lifetimes_python()
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", LIFETIMES_SCRIPT, str(SUMMARY_FILE), str(HORIZON_WEEKS)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    # lifetimes reports its likelihood on rescaled time: recompute it with our function.
    params = [result["bgnbd"][k] for k in ("r", "alpha", "a", "b")]
    result["bgnbd"]["ll"] = float(np.sum(bgnbd.log_likelihood(params, x, t_x, T)))
    return result


def ours_on_summary(days) -> dict:
    """Our summary, fit and predictions, timed the same way as lifetimes'."""
    from customers.analytics import bgnbd, gamma_gamma
    from customers.analytics.summary import purchase_summary

    out = {}
    started = time.perf_counter()
    summary = purchase_summary(days, AS_OF.toordinal())
    out["summary"] = time.perf_counter() - started
    out["summary_repeats"] = int(summary.x[summary.has_purchase].sum())
    x, t_x, T, m_x = summary.fit_arrays()  # noqa: N806
    started = time.perf_counter()
    bg = bgnbd.fit(x, t_x, T)
    out["fit_bgnbd"] = time.perf_counter() - started
    started = time.perf_counter()
    gg = gamma_gamma.fit(x, m_x)
    out["fit_gamma_gamma"] = time.perf_counter() - started
    started = time.perf_counter()
    bg.p_alive(x, t_x, T)
    bg.expected_purchases(HORIZON_WEEKS, x, t_x, T)
    gg.expected_value(x, m_x)
    out["predict"] = time.perf_counter() - started
    out["bgnbd"], out["gamma_gamma"] = bg.as_dict(), gg.as_dict()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench clv")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true", help="drop the scratch database first")
    parser.add_argument("--no-lifetimes", action="store_true", help="skip the lifetimes run")
    args = parser.parse_args(argv)
    use_scratch_database(fresh=args.fresh)
    from django.db import connection

    from customers.analytics.clv import clv_fit
    from customers.analytics.scoring import customer_analytics_refresh
    from customers.analytics.summary import order_days_load, purchase_summary
    from customers.models import CustomerScore, Signal
    from portal.tenancy import tenant_context

    _bench_tenant_ensure()
    tenant = big_tenant(orders=args.orders, customers=args.customers)
    with tenant_context(tenant):

        def scan() -> float:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*), sum(amount) FROM customers_order WHERE tenant_id = %s",
                    [tenant.pk],
                )
                cursor.fetchall()
            return time.perf_counter() - started

        scan()  # warm the cache the same way for both sides
        baseline = statistics.median(scan() for _ in range(5))

        def timed(call):
            started = time.perf_counter()
            value = call()
            return time.perf_counter() - started, value

        loads = [timed(lambda: order_days_load(tenant=tenant, until=AS_OF)) for _ in range(3)]
        load_seconds, days = statistics.median(t for t, _ in loads), loads[-1][1]
        fits = [timed(lambda: clv_fit(days=days, end=AS_OF)) for _ in range(3)]
        fit_seconds, model = statistics.median(t for t, _ in fits), fits[-1][1]

        CustomerScore.objects.filter(tenant=tenant).delete()
        Signal.objects.filter(tenant=tenant).delete()
        first_seconds, result = timed(
            lambda: customer_analytics_refresh(tenant=tenant, as_of=AS_OF)
        )
        again = [
            timed(lambda: customer_analytics_refresh(tenant=tenant, as_of=AS_OF)) for _ in range(3)
        ]
        again_seconds = statistics.median(t for t, _ in again)
        stages = {
            stage: statistics.median(r.seconds[stage] for _, r in again)
            for stage in ("load", "fit", "score", "write")
        }
        summary = purchase_summary(days, AS_OF.toordinal())
        ours = ours_on_summary(days)

    bg, gg = model.bgnbd, model.gamma_gamma
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    print(f"{days.n_customers:,} customers, {int(days.orders.sum()):,} orders, "
          f"{len(days.day):,} customer-day rows")  # fmt: skip
    print(f"BG/NBD r={bg.r:.3f} alpha={bg.alpha:.3f} a={bg.a:.3f} b={bg.b:.3f} LL={bg.ll:.1f}")
    print(f"Gamma-Gamma p={gg.p:.3f} q={gg.q:.3f} gamma={gg.gamma:.3f}")
    print(f"{'measure':<58}{'seconds':>9}{'ratio':>8}")
    rows = [
        ("count(*), sum(amount) scan (baseline)", baseline),
        ("load orders into customer x day arrays (COPY), median", load_seconds),
        ("fit BG/NBD + Gamma-Gamma (on loaded data), median", fit_seconds),
        (f"full refresh, first ({result.scored:,} scores, {result.signals:,} signals)",
         first_seconds),
        ("full refresh, again (upsert of the same rows), median", again_seconds),
        *((f"  of which {stage}, median", seconds) for stage, seconds in stages.items()),
    ]  # fmt: skip
    for label, seconds in rows:
        print(f"{label:<58}{seconds:>9.2f}{seconds / baseline:>8.1f}")
    if args.no_lifetimes:
        return 0
    theirs = lifetimes_run(summary, days)
    print()
    rows_in = int((~days.is_return).sum())
    print(f"Ours vs lifetimes 0.11.3: summary from the same {rows_in:,} purchase rows, fits and "
          f"predictions on the same summary ({len(summary.fit_arrays()[0]):,} customers)")  # fmt: skip
    print(f"{'step':<34}{'ours s':>9}{'lifetimes s':>13}{'ratio':>8}")
    for step in ("summary", "fit_bgnbd", "fit_gamma_gamma", "predict"):
        print(f"{step:<34}{ours[step]:>9.2f}{theirs[step]:>13.2f}{theirs[step] / ours[step]:>8.1f}")

    def shown(params: dict) -> str:
        return " ".join(f"{k}={v:.1f}" if k == "ll" else f"{k}={v:.4g}" for k, v in params.items())

    for name in ("bgnbd", "gamma_gamma"):
        print(f"{name}: ours      {shown(ours[name])}")
        print(f"{'':>{len(name)}}  lifetimes {shown(theirs[name])}")
    print(f"repeat purchases in the summary: ours {ours['summary_repeats']:,}, "
          f"lifetimes {theirs['summary_repeats']:,}")  # fmt: skip
    print(f"lifetimes predictions that are nan: {theirs['nan_predictions']:,}")
    return 0
