"""``sagewatch baseline|monitor --monitor model-bias|model-explainability``, run as a user would (subprocesses of
the console entry point on small real datasets and real models)."""

import json
import subprocess
import sys

import joblib
import numpy as np
import pytest

SAGEWATCH = [sys.executable, "-m", "sagewatch"]
BIAS = ["--monitor", "model-bias"]
EXPLAIN = ["--monitor", "model-explainability"]


def _run(*args, code=0):
    done = subprocess.run([*SAGEWATCH, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done


def _error(*args, code):
    """One line on stderr naming the problem, no traceback."""
    done = _run(*args, code=code)
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert len(lines) == 1 or (code == 2 and lines[0].startswith("usage:")), done.stderr
    return lines[-1]


def _bias_rows(rng, n, *, unfair):
    sex = rng.integers(0, 2, n)
    age = rng.integers(18, 80, n)
    income = rng.normal(50, 10, n).round(2)
    label = ((income + 4 * sex + rng.normal(0, 5, n)) > 54).astype(int)
    # the model of the unfair period approves by sex, not by merit
    prediction = np.where(rng.random(n) < (0.9 if unfair else 0.1), sex, label)
    return age, sex, income, label, prediction


def _write_csv(path, columns, rows, header=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(columns)] if header else []
    lines += [",".join(str(v) for v in row) for row in zip(*rows)]
    path.write_text("\n".join(lines) + "\n")


def _config(path, document):
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def bias(tmp_path_factory):
    """Bias data: a fair baseline, the same period again, and an unfair period; configs and a model."""
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("bias")
    rng = np.random.default_rng(11)
    columns = ["age", "sex", "income", "label", "prediction"]
    base = _bias_rows(rng, 600, unfair=False)
    _write_csv(root / "baseline" / "data.csv", columns, base)
    _write_csv(root / "unfair" / "data.csv", columns, _bias_rows(rng, 600, unfair=True))
    facet = [{"name_or_index": "sex", "value_or_threshold": [1]}]
    common = {"dataset_type": "text/csv", "label": "label", "label_values_or_threshold": [1], "facet": facet,
              "group_variable": "age"}
    _config(root / "pre.json", {**common, "excluded_columns": ["prediction"],
                                "methods": {"pre_training_bias": {"methods": "all"}}})
    _config(root / "post.json", {**common, "predicted_label": "prediction",
                                 "methods": {"pre_training_bias": {"methods": "all"},
                                             "post_training_bias": {"methods": "all"}}})
    _config(root / "model.json", {**common, "excluded_columns": ["prediction"],
                                  "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "AD"]}}})
    age, sex, income, label, _ = base
    model = LogisticRegression(max_iter=1000).fit(np.column_stack([age, sex, income]), label)
    joblib.dump(model, root / "model.joblib")
    _run("baseline", root / "baseline", *BIAS, "--analysis-config", root / "post.json", "-o", root / "base",
         "--report", root / "base.html", "--no-progress")
    return root


def _metrics(path, stage):
    document = json.loads(path.read_text())
    return {m["name"]: m["value"] for m in document[stage]["facets"]["sex"][0]["metrics"]}


def test_bias_baseline_pre_and_post_training_from_a_predicted_label_column(bias):
    out = bias / "base"
    pre, post = _metrics(out / "analysis.json", "pre_training_bias_metrics"), \
        _metrics(out / "analysis.json", "post_training_bias_metrics")
    assert sorted(pre) == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert {"DPPL", "DI", "AD", "FT", "CDDPL"} <= set(post)
    rows = np.loadtxt(bias / "baseline" / "data.csv", delimiter=",", skiprows=1)
    sex, label, prediction = rows[:, 1], rows[:, 3], rows[:, 4]
    assert pre["DPL"] == pytest.approx(label[sex == 0].mean() - label[sex == 1].mean(), abs=1e-12)
    assert post["DPPL"] == pytest.approx(prediction[sex == 0].mean() - prediction[sex == 1].mean(), abs=1e-12)
    assert not (out / "constraint_violations.json").exists()
    page = (bias / "base.html").read_text()
    assert page.startswith("<!doctype html>") and "Post-training bias" in page and "<svg" in page
    assert "<script" not in page and "Conditional Demographic Disparity in Labels (CDDL)" in page


def test_bias_baseline_pre_training_only_prints_the_metrics(bias, tmp_path):
    done = _run("baseline", bias / "baseline", *BIAS, "--analysis-config", bias / "pre.json", "-o", tmp_path,
                "--no-progress")
    document = json.loads((tmp_path / "analysis.json").read_text())
    assert "post_training_bias_metrics" not in document
    assert "bias, 600 rows:" in done.stdout and "pre-training   sex=1: CDDL" in done.stdout
    assert f"wrote {tmp_path / 'analysis.json'}" in done.stdout


def test_bias_post_training_predictions_from_a_local_model(bias, tmp_path):
    _run("baseline", bias / "baseline", *BIAS, "--analysis-config", bias / "model.json", "--model",
         bias / "model.joblib", "-o", tmp_path, "--no-progress")
    post = _metrics(tmp_path / "analysis.json", "post_training_bias_metrics")
    rows = np.loadtxt(bias / "baseline" / "data.csv", delimiter=",", skiprows=1)
    predicted = joblib.load(bias / "model.joblib").predict(rows[:, :3])
    sex = rows[:, 1]
    assert sorted(post) == ["AD", "DI", "DPPL"]
    assert post["DPPL"] == pytest.approx(predicted[sex == 0].mean() - predicted[sex == 1].mean(), abs=1e-12)


def test_bias_monitor_without_violations(bias, tmp_path):
    done = _run("monitor", bias / "baseline", *BIAS, "--analysis-config", bias / "post.json", "--baseline",
                bias / "base" / "analysis.json", "-o", tmp_path, "--no-progress")
    assert done.stdout.startswith("Completed: Job completed successfully with no violations.")
    assert json.loads((tmp_path / "constraint_violations.json").read_text()) == {"version": "1.0", "violations": []}


def test_bias_monitor_with_violations_report_and_metrics(bias, tmp_path):
    done = _run("monitor", bias / "unfair", *BIAS, "--analysis-config", bias / "post.json", "--baseline",
                bias / "base" / "analysis.json", "-o", tmp_path / "out", "--report", tmp_path / "drift.html",
                "--metrics-dir", tmp_path / "metrics", "--endpoint", "ep", "--schedule", "sch",
                "--fail-on-violations", "--no-progress", code=2)
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    names = {v["metric_name"] for v in violations}
    assert {"DPPL", "DI"} <= names and all(v["constraint_check_type"] == "bias_drift_check" for v in violations)
    assert done.stdout.startswith(f"CompletedWithViolations: Job completed successfully with {len(violations)} "
                                  "violations.")
    assert "bias_drift_check" in done.stdout and f"report: {tmp_path / 'drift.html'}" in done.stdout
    page = (tmp_path / "drift.html").read_text()
    assert page.count('<span class="bad">violation</span>') == len(violations)
    assert f"{len(violations)} violations" in page and "<th>baseline</th>" in page
    lines = [json.loads(line) for line in (tmp_path / "metrics" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    assert any(line["MetricName"] == "bias_metric_DPPL" for line in lines)


def test_bias_outputs_are_byte_identical_on_rerun(bias, tmp_path):
    for run in ("a", "b"):
        _run("monitor", bias / "unfair", *BIAS, "--analysis-config", bias / "post.json", "--baseline",
             bias / "base" / "analysis.json", "-o", tmp_path / run, "--report", tmp_path / run / "r.html",
             "--no-progress")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["analysis.json", "constraint_violations.json", "r.html", "sagewatch_report.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_bias_on_captures_merged_with_ground_truth(tmp_path):
    rng = np.random.default_rng(2)
    captures, labels, truth = [], [], []
    for i in range(120):
        age, sex, income = int(rng.integers(18, 80)), int(rng.integers(0, 2)), round(float(rng.normal(50, 10)), 2)
        label = int(income + 4 * sex > 54)
        prediction = sex if i % 2 else label
        truth.append((sex, label, prediction))
        captures.append(json.dumps({"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{age},{sex},{income}",
                              "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": str(prediction),
                               "encoding": "CSV"}},
            "eventMetadata": {"eventId": f"e{i}", "inferenceTime": "2024-05-01T10:00:00Z"}, "eventVersion": "0"}))
        labels.append(json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                                  "eventMetadata": {"eventId": f"e{i}"}, "eventVersion": "0"}))
    (tmp_path / "captures").mkdir()
    (tmp_path / "captures" / "part.jsonl").write_text("\n".join(captures) + "\n")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "part.jsonl").write_text("\n".join(labels) + "\n")
    _run("merge", tmp_path / "captures", tmp_path / "labels", "-o", tmp_path / "merged")
    # Clarify's monitoring config: headers name the captured features and the label; the prediction is the
    # captured output (one value), the label the ground truth (docs/clarify.md, Bias on merged captures)
    config = _config(tmp_path / "c.json", {"headers": ["age", "sex", "income", "label"], "label": "label",
                                           "label_values_or_threshold": [1],
                                           "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
                                           "methods": {"post_training_bias": {"methods": ["DPPL"]}}})
    _run("baseline", tmp_path / "merged", "--format", "merged", *BIAS, "--analysis-config", config, "-o",
         tmp_path / "out", "--no-progress")
    (metric,) = json.loads((tmp_path / "out" / "analysis.json").read_text())[
        "post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    sex, _, prediction = np.array(truth).T
    assert metric["value"] == pytest.approx(prediction[sex == 0].mean() - prediction[sex == 1].mean(), abs=1e-12)


# --- feature attribution -------------------------------------------------------------------------------------

FEATURES = ["x1", "x2", "x3"]


def _attribution_rows(rng, n, *, shifted):
    # baseline: x1 varies and drives the prediction; shifted: x1 is constant and x3 varies widely
    x1 = np.zeros(n) if shifted else rng.normal(0, 2, n)
    x2 = rng.normal(0, 0.5, n)
    x3 = rng.normal(0, 4, n) if shifted else rng.normal(0, 0.1, n)
    return [v.round(4) for v in (x1, x2, x3)]


@pytest.fixture(scope="module")
def attribution(tmp_path_factory):
    from sklearn.linear_model import LogisticRegression
    import xgboost

    root = tmp_path_factory.mktemp("attribution")
    rng = np.random.default_rng(5)
    train = _attribution_rows(rng, 400, shifted=False)
    X = np.column_stack(train)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.8 * X[:, 2] + rng.normal(0, 0.3, 400) > 0).astype(int)
    joblib.dump(LogisticRegression().fit(X, y), root / "model.joblib")
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0, "nthread": 1},
                            xgboost.DMatrix(X, label=y), num_boost_round=20)
    booster.save_model(root / "xgboost-model.json")
    # Clarify's CSV with headers in the config has no header line
    _write_csv(root / "baseline" / "data.csv", FEATURES, _attribution_rows(rng, 40, shifted=False), header=False)
    _write_csv(root / "same" / "data.csv", FEATURES, _attribution_rows(rng, 40, shifted=False), header=False)
    _write_csv(root / "shifted" / "data.csv", FEATURES, _attribution_rows(rng, 40, shifted=True), header=False)
    _config(root / "shap.json", {"dataset_type": "text/csv", "headers": FEATURES, "methods": {"shap": {
        "baseline": [[0.0, 0.0, 0.0]], "num_samples": 64, "seed": 3, "agg_method": "mean_abs",
        "save_local_shap_values": True}}})
    _run("baseline", root / "baseline", *EXPLAIN, "--analysis-config", root / "shap.json", "--model",
         root / "model.joblib", "-o", root / "base", "--no-progress")
    return root


def test_explainability_baseline_with_a_joblib_model(attribution):
    document = json.loads((attribution / "base" / "analysis.json").read_text())
    values = document["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert list(values) == FEATURES and max(values, key=values.get) == "x1"
    local = (attribution / "base" / "explanations_shap" / "out.csv").read_text().splitlines()
    assert local[0] == "x1_label0,x2_label0,x3_label0" and len(local) == 41


def test_explainability_tree_shap_with_an_xgboost_model(attribution, tmp_path):
    done = _run("baseline", attribution / "baseline", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                "--model", attribution / "xgboost-model.json", "--explainer", "tree_shap", "-o", tmp_path,
                "--no-progress")
    document = json.loads((tmp_path / "analysis.json").read_text())
    assert list(document["explanations"]) == ["tree_shap"]
    assert "feature attribution (tree_shap, mean_abs), 40 records explained:" in done.stdout
    assert "  label0: x1 " in done.stdout


def test_explainability_monitor_without_drift(attribution, tmp_path):
    done = _run("monitor", attribution / "same", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                "--model", attribution / "model.joblib", "--baseline", attribution / "base" / "analysis.json",
                "-o", tmp_path, "--no-progress")
    assert done.stdout.startswith("Completed: Job completed successfully with no violations.")
    assert "(ok)" in done.stdout


def test_explainability_monitor_with_drift_writes_the_shift_page(attribution, tmp_path):
    done = _run("monitor", attribution / "shifted", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                "--model", attribution / "model.joblib", "--baseline", attribution / "base" / "analysis.json",
                "-o", tmp_path / "out", "--report", tmp_path / "shift.html", "--no-progress")
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    assert [v["label"] for v in violations] == ["label0"]
    assert violations[0]["description"].startswith("Feature attribution drift ")
    assert done.stdout.startswith("CompletedWithViolations: Job completed successfully with 1 violations.")
    assert "(violation)" in done.stdout
    page = (tmp_path / "shift.html").read_text()
    assert "label0: nDCG" in page and '<span class="bad">drift</span>' in page and "<svg" in page


def test_explainability_outputs_are_byte_identical_on_rerun(attribution, tmp_path):
    for run in ("a", "b"):
        _run("monitor", attribution / "shifted", *EXPLAIN, "--analysis-config", attribution / "shap.json",
             "--model", attribution / "model.joblib", "--baseline", attribution / "base" / "analysis.json",
             "--attribution-threshold", "0.5", "-o", tmp_path / run, "--report", tmp_path / f"{run}.html",
             "--no-progress")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert [str(f) for f in files] == ["analysis.json", "constraint_violations.json",
                                       "explanations_shap/out.csv", "sagewatch_attribution.html",
                                       "sagewatch_report.json"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


# --- wrong input: one line naming the option; 2 for usage errors, 1 for job errors ---------------------------

@pytest.mark.parametrize("extra, expected", [
    (["--analysis-config", "c.json"], "--analysis-config is a bias and feature-attribution option: add --monitor"),
    (["--explainer", "tree_shap"], "--explainer is a feature-attribution option: add --monitor model-explainability"),
    ([*BIAS], "--monitor model-bias needs --analysis-config"),
    ([*EXPLAIN, "--analysis-config", "c.json"], "--monitor model-explainability needs --model"),
    ([*BIAS, "--analysis-config", "c.json", "--explainer", "kernel_shap"],
     "--explainer is a feature-attribution option: it applies to --monitor model-explainability, not model-bias"),
    ([*BIAS, "--analysis-config", "c.json", "--problem-type", "Regression"],
     "--problem-type is a model-quality option: add --monitor model-quality"),
    ([*BIAS, "--analysis-config", "c.json", "--format", "capture"], "--format capture: captures hold no labels"),
    ([*BIAS, "--analysis-config", "c.json", "--no-header"],
     "--no-header does not apply to --monitor model-bias: analysis_config.json's dataset_type"),
    ([*EXPLAIN, "--analysis-config", "c.json", "--model", "m.joblib", "--report", "r.html"],
     "--report with --monitor model-explainability draws the attribution shift against a baseline"),
])
def test_baseline_usage_errors_name_the_option(tmp_path, extra, expected):
    line = _error("baseline", tmp_path, "-o", tmp_path / "out", *extra, code=2)
    assert expected in line, line


@pytest.mark.parametrize("extra, expected", [
    ([*BIAS, "--analysis-config", "c.json"], "--monitor model-bias needs --baseline (the analysis.json of a bias"),
    ([*BIAS, "--analysis-config", "c.json", "--baseline-constraints", "c.json"],
     "--baseline-constraints is for data-quality and model-quality; --monitor model-bias takes --baseline"),
    (["--baseline", "analysis.json"], "--baseline is a bias and feature-attribution option"),
    ([], "--monitor data-quality needs --baseline-constraints"),
    ([*EXPLAIN, "--analysis-config", "c.json", "--model", "m", "--baseline", "a.json", "--attribution-threshold",
      "1.5"], "argument --attribution-threshold: must be a number from 0 to 1, got '1.5'"),
])
def test_monitor_usage_errors_name_the_option(tmp_path, extra, expected):
    line = _error("monitor", tmp_path, "-o", tmp_path / "out", *extra, code=2)
    assert expected in line, line


def test_a_model_that_does_not_load(attribution, tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    line = _error("baseline", attribution / "baseline", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                  "--model", tmp_path / "model.joblib", "-o", tmp_path / "out", code=1)
    assert line.startswith("sagewatch baseline: error: cannot load the model:") and "model.joblib" in line
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_a_missing_model_path(bias, tmp_path):
    line = _error("baseline", bias / "baseline", *BIAS, "--analysis-config", bias / "model.json", "--model",
                  tmp_path / "nothing.joblib", "-o", tmp_path / "out", code=1)
    assert line == f"sagewatch baseline: error: --model {tmp_path / 'nothing.joblib'} does not exist"


def test_a_dataset_without_the_configured_facet(bias, tmp_path):
    config = json.loads((bias / "pre.json").read_text())
    config["facet"] = [{"name_or_index": "race", "value_or_threshold": ["x"]}]
    line = _error("baseline", bias / "baseline", *BIAS, "--analysis-config", _config(tmp_path / "c.json", config),
                  "-o", tmp_path / "out", code=1)
    assert "field 'facet[0].name_or_index': 'race' names no column of the dataset" in line


def test_a_dataset_without_the_configured_features(attribution, bias, tmp_path):
    line = _error("baseline", bias / "baseline", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                  "--model", attribution / "model.joblib", "-o", tmp_path / "out", code=1)
    assert "the dataset has 5 unnamed columns, but headers name 3 columns" in line


def test_an_analysis_config_that_is_not_json(bias, tmp_path):
    (tmp_path / "c.json").write_text("{\"label\": ")
    line = _error("baseline", bias / "baseline", *BIAS, "--analysis-config", tmp_path / "c.json", "-o",
                  tmp_path / "out", code=1)
    assert "c.json" in line and "line 1" in line


def test_a_format_that_contradicts_the_dataset_type(bias, tmp_path):
    line = _error("baseline", bias / "baseline", *BIAS, "--analysis-config", bias / "pre.json", "--format", "json",
                  "-o", tmp_path / "out", code=1)
    assert line.endswith("--format json does not match dataset_type text/csv of --analysis-config pre.json; leave "
                         "--format out or use --format csv")


def test_a_model_beside_a_predicted_label_column(bias, tmp_path):
    line = _error("baseline", bias / "baseline", *BIAS, "--analysis-config", bias / "post.json", "--model",
                  bias / "model.joblib", "-o", tmp_path / "out", code=1)
    assert "field 'predicted_label'" in line and "leave out the model or predicted_label" in line


def test_a_bias_baseline_given_to_the_explainability_monitor(attribution, bias, tmp_path):
    line = _error("monitor", attribution / "same", *EXPLAIN, "--analysis-config", attribution / "shap.json",
                  "--model", attribution / "model.joblib", "--baseline", bias / "base" / "analysis.json",
                  "-o", tmp_path / "out", code=1)
    assert line.startswith("sagewatch monitor: error: cannot load the baseline:") and "analysis.json" in line


def test_help_lists_the_clarify_options():
    text = _run("monitor", "--help").stdout
    for option in ("--analysis-config", "--model", "--explainer", "--baseline ", "--attribution-threshold",
                   "model-explainability"):
        assert option in text, option
