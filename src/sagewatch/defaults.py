"""Every default of the engine in one place (style guide §2.5)."""

from __future__ import annotations

# KLL sketch parameters SageMaker's analyzer writes into statistics.json (contract §3.1).
KLL_K = 2048
KLL_C = 0.64
# Smallest capacity of a KLL level (DataSketches' default minimum width).
KLL_MIN_LEVEL_WIDTH = 8
# log2 of the HyperLogLog registers behind String columns' distinct_count (16,384: about 0.8% error).
DISTINCT_LG_K = 14
# Equal-width histogram buckets per numeric feature; fixed by SageMaker (contract §3.1).
NUM_BUCKETS = 10
# Distinct string values tracked exactly per column before the rarest are dropped.
MAX_TRACKED_VALUES = 100_000
# Rows kept per profile for multivariate drift tests (uniform sample, mergeable).
SAMPLE_ROWS = 2_000
# A string column gets a suggested domain when it has at most this many distinct values...
DOMAIN_MAX_DISTINCT = 20
# ...or at most DOMAIN_MAX_DISTINCT_LARGE values that are fewer than this share of its rows.
DOMAIN_MAX_DISTINCT_LARGE = 1_000
DOMAIN_MAX_DISTINCT_RATIO = 0.01
# Rows per chunk when streaming datasets.
CHUNK_ROWS = 262_144

# monitoring_config defaults of the analyzer container (contract §3.2, MMC analytics_input.py).
MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}

# Input bounds of the capture and JSON readers: a record beyond them is skipped and counted
# (skip reasons too_deep / too_wide), never handed to a parser that could crash or hang on it.
# Nesting levels of a JSON payload value (tabular data needs a handful; flattening grows with depth cubed).
MAX_JSON_DEPTH = 32  # pyarrow.json refuses documents nested 64 deep
# Fields (CSV fields, or JSON leaf values) of one record part.
MAX_RECORD_FIELDS = 10_000
