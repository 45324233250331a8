"""A realistic synthetic tabular dataset (telecom churn) and a drifted copy, for demos and tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["churn_table", "drifted_churn_table", "CHURN_COLUMNS"]

CHURN_COLUMNS = ["churn", "account_length", "age", "monthly_charges", "total_charges", "day_minutes",
                 "eve_minutes", "support_calls", "data_gb", "contract", "payment_method", "region", "plan"]


def churn_table(rows: int = 5_000, *, seed: int = 7) -> pa.Table:
    """A churn dataset with the label first (``output_columns_position`` START).

    >>> t = churn_table(100)
    >>> t.num_rows, t.column_names[:3]
    (100, ['churn', 'account_length', 'age'])
    """
    rng = np.random.default_rng(seed)
    account_length = rng.integers(1, 244, rows)
    age = np.clip(rng.normal(42, 13, rows).round(), 18, 90).astype(np.int64)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.20])
    payment = rng.choice(["credit-card", "bank-transfer", "electronic-check", "mailed-check"], rows,
                         p=[0.3, 0.25, 0.3, 0.15])
    region = rng.choice(["north", "south", "east", "west"], rows)
    plan = rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.35, 0.15])
    monthly = np.round(rng.gamma(9.0, 7.5, rows) + np.where(plan == "premium", 25, 0), 2)
    total = np.round(monthly * account_length / 3.0 + rng.normal(0, 15, rows), 2)
    day = np.round(rng.normal(180, 54, rows).clip(0), 1)
    eve = np.round(rng.normal(200, 50, rows).clip(0), 1)
    calls = rng.poisson(1.5, rows)
    data_gb = np.round(rng.lognormal(1.5, 0.6, rows), 3)
    logit = -2.2 + 0.9 * (contract == "month-to-month") + 0.45 * (calls - 1.5) + 0.01 * (monthly - 70)
    churn = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pa.table({"churn": churn, "account_length": account_length, "age": age, "monthly_charges": monthly,
                     "total_charges": total, "day_minutes": day, "eve_minutes": eve, "support_calls": calls,
                     "data_gb": data_gb, "contract": contract, "payment_method": payment, "region": region,
                     "plan": plan})


def drifted_churn_table(rows: int = 2_000, *, seed: int = 11) -> pa.Table:
    """The same schema after a price rise, a new payment method, a broken upstream field and gaps.

    - ``monthly_charges`` rises by about 30% (baseline drift);
    - ``payment_method`` gains a value never seen before (``crypto``);
    - ``support_calls`` is sometimes written as text by a faulty client (data type);
    - ``data_gb`` is missing for 8% of rows (completeness);
    - ``plan`` shifts towards ``premium`` (categorical drift).
    """
    rng = np.random.default_rng(seed)
    table = churn_table(rows, seed=seed)
    columns = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    columns["monthly_charges"] = np.round(columns["monthly_charges"] * 1.3 + 5, 2)
    payment = columns["payment_method"].astype(object)
    payment[rng.random(rows) < 0.15] = "crypto"
    columns["payment_method"] = payment
    plan = columns["plan"].astype(object)
    plan[rng.random(rows) < 0.3] = "premium"
    columns["plan"] = plan
    calls = columns["support_calls"].astype(object)
    broken = rng.random(rows) < 0.02
    calls[broken] = "n/a"
    columns["support_calls"] = np.array([str(v) for v in calls], dtype=object)
    data_gb = columns["data_gb"].astype(object)
    data_gb[rng.random(rows) < 0.08] = None
    columns["data_gb"] = data_gb
    return pa.table({name: pa.array(values.tolist() if values.dtype == object else values)
                     for name, values in columns.items()})
