"""Customer analytics: lifetime value (BG/NBD + Gamma-Gamma), churn risk, RFM, signals.

Everything works on whole arrays: one read of the orders builds the per-customer-day history
(`summary.py`), the models are fitted on it with SciPy (`bgnbd.py`, `gamma_gamma.py`,
`clv.py`), `churn.py`, `rfm.py` and `signals.py` compute the rest, `scoring.py` runs it all
nightly and stores one `CustomerScore` per customer (`writing.py`: COPY on PostgreSQL), and
`selectors.py` reads the stored rows for pages. Definitions: docs/metrics.md.
"""
