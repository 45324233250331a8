"""Golden bias metrics from smclarify itself (the open-source Clarify library), for tests/unit/clarify.

    python scripts/smclarify_golden.py            # writes tests/data/clarify/<dataset>/{data.csv,
                                                  #   analysis_config.json, smclarify_golden.json}

smclarify 0.5 needs pandas < 3, so it runs in a virtual environment of its own (created on first use in
benchmarks/.work/smclarify-venv, never in the project's environment): this script re-runs itself there.
Each dataset is made by a seeded generator below (numpy only), written as CSV with every float in its
shortest round-trip form, and measured by smclarify the way the Clarify container does: ``pd.read_csv``
(with correctly rounded floats),
one ``bias_report`` per facet and stage, the label text from ``label_value_or_threshold``. The tests
compare sagewatch's report on the same files with the goldens to 1e-9, without smclarify.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benchmarks" / ".work" / "smclarify-venv"
DATA = ROOT / "tests" / "data" / "clarify"
REQUIREMENTS = ("smclarify==0.5", "pandas<3")
PRE = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
POST = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]


def venv_python(venv: Path = VENV) -> Path:
    """The smclarify environment's interpreter, created (with its pinned packages) when missing."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    return python


# ------------------------------------------------------------------------------ datasets (numpy only)
def _logistic(x):
    import numpy as np
    return 1.0 / (1.0 + np.exp(-x))


def _categorical(rng, n):
    """String facets (one with a value, one value by value), a group variable, 0/1 labels."""
    import numpy as np
    sex = rng.choice(["female", "male"], size=n, p=[0.4, 0.6])
    race = rng.choice(["a", "b", "c", "d"], size=n, p=[0.5, 0.25, 0.15, 0.1])
    region = rng.choice(["north", "south", "east", "west", "central"], size=n)
    income = np.round(rng.lognormal(10.5, 0.5, size=n), 2)
    age = rng.integers(18, 76, size=n)
    logit = (income - 40000) / 20000 - 0.6 * (sex == "female") + 0.4 * (race == "a") - 0.3 * (region == "east")
    approved = (rng.random(n) < _logistic(logit)).astype(int)
    flip = rng.random(n) < np.where(sex == "female", 0.25, 0.1)
    predicted = np.where(flip, 1 - approved, approved)
    columns = {"approved": approved, "predicted": predicted, "sex": sex, "race": race, "region": region,
               "income": income, "age": age}
    config = {"dataset_type": "text/csv", "label": "approved", "label_values_or_threshold": [1],
              "predicted_label": "predicted",
              "facet": [{"name_or_index": "sex", "value_or_threshold": ["female"]}, {"name_or_index": "race"}],
              "group_variable": "region",
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": POST}}}
    return columns, config


def _continuous(rng, n):
    """Continuous label, predictions and facets (thresholds), all-numeric features (FT), no group variable."""
    import numpy as np
    income = rng.integers(15000, 150001, size=n)
    tenure = np.round(rng.gamma(2.0, 2.0, size=n), 3)
    x1 = rng.normal(0.0, 1.0, size=n)
    x2 = rng.uniform(-1.0, 1.0, size=n)
    score = _logistic(0.8 * x1 + 0.5 * x2 + (income - 80000) / 50000 + 0.1 * tenure - 0.4)
    predicted_score = np.clip(score + rng.normal(0.0, 0.12, size=n) - 0.05 * (income < 60000), 0.0, 1.0)
    columns = {"score": score, "predicted_score": predicted_score, "income": income, "tenure": tenure,
               "x1": x1, "x2": x2}
    config = {"dataset_type": "text/csv", "label": 0, "label_values_or_threshold": [0.5], "predicted_label": 1,
              "facet": [{"name_or_index": "income", "value_or_threshold": [60000]},
                        {"name_or_index": "tenure", "value_or_threshold": [3.5]}],
              "methods": {"pre_training_bias": {"methods": PRE}, "post_training_bias": {"methods": POST}}}
    return columns, config


def _coded(rng, n):
    """Integer-coded facets (a value given as text; one facet value by value), text labels, an integer group
    variable, an excluded id column, numeric features (FT for every facet value)."""
    import numpy as np
    gender = rng.integers(0, 2, size=n)
    age_group = rng.choice([1, 2, 3, 4], size=n, p=[0.2, 0.35, 0.3, 0.15])
    zip_code = rng.integers(0, 8, size=n)
    x1 = np.round(rng.normal(50.0, 10.0, size=n), 1)
    row_id = np.array([f"r{i:05d}" for i in range(n)])
    logit = (x1 - 50.0) / 10.0 + 0.5 * gender - 0.3 * (age_group == 4) + 0.1 * zip_code - 0.3
    outcome = np.where(rng.random(n) < _logistic(logit), "yes", "no")
    flip = rng.random(n) < np.where(age_group == 1, 0.3, 0.12)
    predicted = np.where(flip, np.where(outcome == "yes", "no", "yes"), outcome)
    columns = {"row_id": row_id, "gender": gender, "age_group": age_group, "zip": zip_code, "x1": x1,
               "outcome": outcome, "predicted_outcome": predicted}
    config = {"dataset_type": "text/csv", "label": "outcome", "label_values_or_threshold": ["yes"],
              "predicted_label": "predicted_outcome", "excluded_columns": ["row_id"],
              "facet": [{"name_or_index": "gender", "value_or_threshold": ["1"]}, {"name_or_index": "age_group"}],
              "group_variable": "zip",
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": POST}}}
    return columns, config


DATASETS = {"categorical": (_categorical, 8, 3000), "continuous": (_continuous, 9, 2500), "coded": (_coded, 10, 2000)}


def _cell(value) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_dataset(name: str) -> Path:
    import numpy as np
    make, seed, rows = DATASETS[name]
    columns, config = make(np.random.default_rng(seed), rows)
    folder = DATA / name
    folder.mkdir(parents=True, exist_ok=True)
    names = list(columns)
    lines = [",".join(names)]
    values = [columns[c].tolist() for c in names]
    for i in range(rows):
        lines.append(",".join(_cell(v[i]) for v in values))
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "analysis_config.json").write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------ smclarify (in its venv)
def _column(df, name_or_index):
    return name_or_index if isinstance(name_or_index, str) else df.columns[name_or_index]


def smclarify_report(folder: Path) -> dict:
    import pandas as pd
    from smclarify.bias import report as R

    config = json.loads((folder / "analysis_config.json").read_text(encoding="utf-8"))
    # correctly rounded floats, as sagewatch reads them (pandas' default C parser can be one ulp off)
    df = pd.read_csv(folder / "data.csv", float_precision="round_trip")
    label = _column(df, config["label"])
    predicted = _column(df, config["predicted_label"]) if "predicted_label" in config else None
    group = df[_column(df, config["group_variable"])] if "group_variable" in config else None
    features = df.drop(columns=[_column(df, c) for c in config.get("excluded_columns", [])])
    stages = []
    methods = config["methods"]
    if "post_training_bias" in methods:
        stages.append(("post_training_bias_metrics", R.StageType.POST_TRAINING, methods["post_training_bias"]))
    if "pre_training_bias" in methods:
        stages.append(("pre_training_bias_metrics", R.StageType.PRE_TRAINING, methods["pre_training_bias"]))
    out = {"version": "1.0"}
    for key, stage, chosen in stages:
        names = chosen["methods"]
        names = (PRE if stage == R.StageType.PRE_TRAINING else ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL",
                                                                 "DRR", "FT", "RD", "TE"]) if names == "all" \
            else list(names)
        facets = {}
        for facet in config["facet"]:
            name = _column(df, facet["name_or_index"])
            values = list(facet["value_or_threshold"]) if "value_or_threshold" in facet else None
            facets[name] = R.bias_report(
                features, R.FacetColumn(name, values),
                R.LabelColumn(label, df[label], list(config["label_values_or_threshold"])), stage,
                R.LabelColumn(predicted, df[predicted], list(config["label_values_or_threshold"]))
                if predicted and stage == R.StageType.POST_TRAINING else None,
                metrics=names, group_variable=group)
        out[key] = {"label": label, "facets": facets,
                    "label_value_or_threshold": R.label_value_or_threshold(
                        df[label], list(config["label_values_or_threshold"]))}
    return out


def _inside(names: list[str]) -> None:
    import logging
    import smclarify
    logging.disable(logging.CRITICAL)  # smclarify logs every conversion and every metric error
    for name in names:
        folder = write_dataset(name)
        golden = {"generator": f"scripts/smclarify_golden.py ({name})", "smclarify": "0.5",
                  "report": smclarify_report(folder)}
        text = json.dumps(golden, indent=4, allow_nan=False) + "\n"
        (folder / "smclarify_golden.json").write_text(text, encoding="utf-8")
        print(f"wrote {folder.relative_to(ROOT)} (smclarify from {Path(smclarify.__file__).parent})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DATASETS), help="datasets to write (default: all)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        _inside(args.datasets)
        return 0
    python = venv_python()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(python), __file__, "--inside", *args.datasets], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
