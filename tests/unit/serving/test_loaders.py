"""Model-file resolution and loading (sagewatch.serving.loaders)."""

import pickle
import sys

import joblib
import numpy as np
import pytest

from sagewatch.serving.errors import ModelLoadError
from sagewatch.serving.loaders import find_model_file, is_xgboost_booster, load_model_dir

from ._helpers import Doubler


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"")


@pytest.mark.parametrize("names, chosen, kind", [
    (["model.joblib", "other.joblib", "model.pkl"], "model.joblib", "joblib"),
    (["weights.joblib", "model.pkl"], "weights.joblib", "joblib"),
    (["model.pkl", "other.pkl", "xgboost-model"], "model.pkl", "pickle"),
    (["clf.pickle", "xgboost-model"], "clf.pickle", "pickle"),
    (["xgboost-model", "booster.json"], "xgboost-model", "xgboost"),
    (["booster.ubj", "meta.json"], "booster.ubj", "xgboost"),
    (["booster.bst", "notes.txt"], "booster.bst", "xgboost"),
    (["booster.json", "notes.txt"], "booster.json", "xgboost"),
])
def test_find_model_file_follows_the_preference_order(tmp_path, names, chosen, kind):
    _touch(tmp_path, *names)
    path, model_format = find_model_file(tmp_path)
    assert (path.name, model_format.name) == (chosen, kind)


def test_find_model_file_ignores_subfolders(tmp_path):
    (tmp_path / "code").mkdir()
    _touch(tmp_path / "code", "model.joblib")
    _touch(tmp_path, "model.pkl")
    assert find_model_file(tmp_path)[0].name == "model.pkl"


def test_several_files_of_one_pattern_are_ambiguous(tmp_path):
    _touch(tmp_path, "a.joblib", "b.joblib")
    with pytest.raises(ModelLoadError) as caught:
        find_model_file(tmp_path)
    assert str(caught.value) == ("The model folder has several joblib model files (a.joblib, b.joblib); keep one, "
                                 "or choose with model_fn(model_dir) in code/inference.py.")


def test_no_model_file_names_what_is_there_and_what_is_expected(tmp_path):
    _touch(tmp_path, "README.md")
    with pytest.raises(ModelLoadError) as caught:
        find_model_file(tmp_path)
    assert str(caught.value).startswith("No model file in the model folder (it has: README.md). Expected one of "
                                        "model.joblib, *.joblib, model.pkl, model.pickle, *.pkl, *.pickle, "
                                        "xgboost-model, *.ubj, *.bst, *.json, or code/inference.py")


def test_missing_folder_is_a_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        find_model_file(tmp_path / "absent")


def test_load_model_dir_reads_joblib_and_plain_pickles(tmp_path):
    joblib.dump(Doubler(), tmp_path / "model.joblib")
    assert load_model_dir(tmp_path).predict(np.array([[1.0, 2.0]])).tolist() == [6.0]
    other = tmp_path / "other"
    other.mkdir()
    with open(other / "model.pkl", "wb") as handle:
        pickle.dump({"weights": [1, 2]}, handle)
    assert load_model_dir(other) == {"weights": [1, 2]}


def test_a_corrupt_model_file_is_a_load_error_naming_it(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ModelLoadError, match=r"^Cannot load model.joblib as a joblib model: "):
        load_model_dir(tmp_path)


def test_xgboost_file_without_xgboost_installed_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xgboost", None)  # makes `import xgboost` raise ImportError
    (tmp_path / "xgboost-model").write_bytes(b"")
    with pytest.raises(ModelLoadError) as caught:
        load_model_dir(tmp_path)
    assert str(caught.value) == ("The model file xgboost-model is an XGBoost model, but the xgboost package is not "
                                 "installed in this environment (pip install xgboost).")


def test_xgboost_booster_round_trips_through_json(tmp_path):
    xgboost = pytest.importorskip("xgboost", reason="xgboost is not installed; its loader path is not tested")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    labels = (features[:, 0] > 0).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2}, xgboost.DMatrix(features, labels), 5)
    booster.save_model(tmp_path / "booster.json")
    loaded = load_model_dir(tmp_path)
    assert is_xgboost_booster(loaded)
    probe = xgboost.DMatrix(features[:4])
    assert loaded.predict(probe).tolist() == booster.predict(probe).tolist()


def test_a_json_file_that_is_not_a_booster_is_a_load_error(tmp_path):
    pytest.importorskip("xgboost", reason="xgboost is not installed; its loader path is not tested")
    (tmp_path / "metadata.json").write_text('{"name": "churn"}')
    with pytest.raises(ModelLoadError, match=r"^metadata.json is not an XGBoost model: "):
        load_model_dir(tmp_path)
