"""Handler resolution from a user's inference.py and the invocation pipeline (sagewatch.serving.handlers)."""

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from sagewatch.serving.errors import BadRequestError, ModelLoadError, ModelServerError, UnsupportedMediaTypeError
from sagewatch.serving.handlers import (
    InferenceContext,
    default_input_fn,
    default_output_fn,
    load_handlers,
    make_predict_fn,
)

from ._helpers import Doubler, write_script


def _invoke(handlers, model, body, content_type="text/csv", accept=None, default_accept="application/json"):
    return handlers.invoke(model, body, content_type, accept, default_accept=default_accept,
                           context=InferenceContext.for_model_dir(Path(".")))


def test_without_a_script_every_handler_is_a_default(tmp_path):
    joblib.dump(Doubler(), tmp_path / "model.joblib")
    handlers = load_handlers(tmp_path / "code")
    assert handlers.source is None and handlers.defined == frozenset()
    assert handlers.input_fn is default_input_fn and handlers.output_fn is default_output_fn
    model = handlers.load_model(tmp_path)
    assert _invoke(handlers, model, b"1,2\n3,4", accept="text/csv") == (b"6.0\n14.0", "text/csv")
    assert _invoke(handlers, model, b"[1, 2]", "application/json") == (b'{"predictions": [6.0]}', "application/json")


def test_a_required_script_that_is_missing_is_a_load_error(tmp_path):
    with pytest.raises(ModelLoadError) as caught:
        load_handlers(tmp_path, "serve.py", required=True)
    assert str(caught.value) == f"The inference script serve.py is not in {tmp_path}."


def test_program_without_py_suffix_is_found(tmp_path):
    write_script(tmp_path, "def predict_fn(data, model):\n    return [42]\n", name="entry.py")
    handlers = load_handlers(tmp_path, "entry", required=True)
    assert handlers.source == tmp_path / "entry.py" and handlers.defined == {"predict_fn"}


def test_a_subset_of_functions_gets_defaults_for_the_rest(tmp_path):
    write_script(tmp_path / "code", """
        def predict_fn(input_data, model):
            return model.predict(input_data) + 1
    """)
    joblib.dump(Doubler(), tmp_path / "model.joblib")
    handlers = load_handlers(tmp_path / "code")
    assert handlers.defined == {"predict_fn"}
    model = handlers.load_model(tmp_path)  # the default model_fn reads model.joblib
    assert _invoke(handlers, model, b"1,2", accept="text/csv") == (b"7.0", "text/csv")


def test_all_four_functions_are_used_in_order(tmp_path):
    write_script(tmp_path, """
        import json

        def model_fn(model_dir):
            return {"offset": 10, "dir": model_dir}

        def input_fn(request_body, request_content_type):
            assert isinstance(request_body, str), type(request_body)
            return [request_content_type, json.loads(request_body)["x"]]

        def predict_fn(input_data, model):
            kind, values = input_data
            return {"kind": kind, "sums": [v + model["offset"] for v in values]}

        def output_fn(prediction, accept):
            return json.dumps({"accept": accept, **prediction}), "application/vnd.custom+json"
    """)
    handlers = load_handlers(tmp_path)
    assert handlers.defined == {"model_fn", "input_fn", "predict_fn", "output_fn"}
    model = handlers.load_model(tmp_path)
    assert model["dir"] == str(tmp_path)
    body, content_type = _invoke(handlers, model, b'{"x": [1, 2]}', "application/json; charset=utf-8",
                                 accept="application/vnd.custom+json")
    assert content_type == "application/vnd.custom+json"
    assert json.loads(body) == {"accept": "application/vnd.custom+json", "kind": "application/json", "sums": [11, 12]}


def test_binary_content_types_reach_input_fn_as_bytes(tmp_path):
    write_script(tmp_path, """
        def model_fn(model_dir):
            return None

        def transform_fn(model, request_body, request_content_type, accept):
            return f"{type(request_body).__name__}:{len(request_body)}:{request_content_type}:{accept}"
    """)
    handlers = load_handlers(tmp_path)
    assert _invoke(handlers, None, b"\x00\x01\x02", "application/octet-stream", accept="text/plain") == (
        b"bytes:3:application/octet-stream:text/plain", "text/plain")
    assert _invoke(handlers, None, b"1,2", "text/csv", accept=None, default_accept="text/csv") == (
        b"str:3:text/csv:text/csv", "text/csv")


def test_transform_fn_with_staged_functions_is_refused(tmp_path):
    write_script(tmp_path, """
        def transform_fn(model, body, content_type, accept):
            return body

        def input_fn(body, content_type):
            return body

        def output_fn(prediction, accept):
            return prediction
    """)
    with pytest.raises(ModelLoadError) as caught:
        load_handlers(tmp_path)
    assert str(caught.value) == ("inference.py: transform_fn cannot be used together with input_fn, output_fn; "
                                 "define either transform_fn or input_fn/predict_fn/output_fn.")


def test_the_script_imports_its_sibling_modules(tmp_path):
    write_script(tmp_path / "code", "SCALE = 3\n", name="helper_settings.py")
    write_script(tmp_path / "code", """
        from helper_settings import SCALE

        def model_fn(model_dir):
            return SCALE

        def predict_fn(input_data, model):
            return input_data * model
    """)
    handlers = load_handlers(tmp_path / "code")
    model = handlers.load_model(tmp_path)
    assert _invoke(handlers, model, b"1,2", accept="text/csv") == (b"3.0,6.0", "text/csv")


def test_handlers_taking_a_context_receive_it(tmp_path):
    write_script(tmp_path, """
        def model_fn(model_dir, context):
            return context.system_properties["model_dir"]

        def predict_fn(input_data, model, context):
            return [model == context.model_dir]
    """)
    handlers = load_handlers(tmp_path)
    assert handlers.with_context == {"model_fn", "predict_fn"}
    model = handlers.load_model(tmp_path)
    assert model == str(tmp_path)
    body, _ = handlers.invoke(model, b"1", "text/csv", "text/csv", default_accept="text/csv",
                              context=InferenceContext.for_model_dir(tmp_path))
    assert body == b"True"


def test_a_failing_import_is_a_load_error_with_the_cause(tmp_path):
    write_script(tmp_path, "import package_that_is_not_installed_anywhere\n")
    with pytest.raises(ModelLoadError) as caught:
        load_handlers(tmp_path)
    assert str(caught.value) == ("Importing inference.py failed: ModuleNotFoundError: No module named "
                                 "'package_that_is_not_installed_anywhere'")


def test_a_handler_that_is_not_callable_is_refused(tmp_path):
    write_script(tmp_path, "predict_fn = 3\n")
    with pytest.raises(ModelLoadError, match="^inference.py: predict_fn is not a function.$"):
        load_handlers(tmp_path)


def test_requirements_txt_is_reported_not_installed(tmp_path, caplog):
    write_script(tmp_path, "def predict_fn(data, model):\n    return data\n")
    (tmp_path / "requirements.txt").write_text("xgboost==2.0\n")
    with caplog.at_level("WARNING", logger="sagewatch.serving.handlers"):
        load_handlers(tmp_path)
    assert "requirements.txt is not installed" in caplog.text


def test_default_pipeline_error_statuses():
    handlers = load_handlers(None)
    model = Doubler()
    with pytest.raises(UnsupportedMediaTypeError):
        _invoke(handlers, model, b"1", "text/plain")
    with pytest.raises(UnsupportedMediaTypeError):
        _invoke(handlers, model, b"1", "text/csv", accept="image/png")
    with pytest.raises(BadRequestError):
        _invoke(handlers, model, b"1,2\n3", "text/csv")


def test_model_exceptions_propagate_unchanged():
    class Broken:
        def predict(self, data):
            raise ValueError("X has 2 features, but the model expects 4")

    with pytest.raises(ValueError, match="expects 4"):
        _invoke(load_handlers(None), Broken(), b"1,2")


@pytest.mark.parametrize("result, accept, expected", [
    (b"raw", "text/csv", (b"raw", "text/csv")),
    ("text", "text/csv", (b"text", "text/csv")),
    ((b"x", "application/octet-stream"), "text/csv", (b"x", "application/octet-stream")),
    ({"score": np.float32(0.5)}, "application/json", (b'{"score": 0.5}', "application/json")),
])
def test_responses_of_user_functions_are_coerced(tmp_path, result, accept, expected):
    write_script(tmp_path, "def model_fn(model_dir):\n    return None\n"
                           "def transform_fn(model, body, content_type, accept):\n    return RESULT\n")
    handlers = load_handlers(tmp_path)
    sys.modules["inference"].RESULT = result
    assert _invoke(handlers, None, b"1", accept=accept) == expected


def test_a_response_that_is_not_bytes_is_a_500(tmp_path):
    write_script(tmp_path, "def model_fn(model_dir):\n    return None\n"
                           "def transform_fn(model, body, content_type, accept):\n    return 42\n")
    with pytest.raises(ModelServerError) as caught:
        _invoke(load_handlers(tmp_path), None, b"1", accept="text/csv")
    assert caught.value.status == 500
    assert str(caught.value) == ("The response is a int, not bytes or str; return (body, content_type) from "
                                 "output_fn or transform_fn.")


def test_make_predict_fn_uses_the_chosen_method_and_checks_it():
    data = np.array([[1.0, 3.0]])
    assert make_predict_fn("predict_proba")(data, Doubler()).tolist() == [[0.25, 0.75]]
    with pytest.raises(ModelLoadError, match="predict_method must be one of predict, predict_proba"):
        make_predict_fn("decision_function")
