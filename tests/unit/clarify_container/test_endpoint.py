"""The model through an endpoint: the shadow endpoint's life, batches under the payload limit, answers checked."""

import os
import signal

import numpy as np
import pytest

from sagewatch.clarify_container import payload
from sagewatch.clarify_container.endpoint import EndpointPredictor, deleting_on_sigterm, JobTerminated
from sagewatch.clarify_container.payload import payload_format
from sagewatch.errors import JobError, ModelResponseError
from sagewatch.schemas.clarify_config import PredictorConfig

SHADOW = PredictorConfig(model_name="credit-model", instance_type="ml.m5.xlarge", initial_instance_count=1)


def probability_csv(rows):
    return "\n".join(repr(float(p)) for p in 1 / (1 + np.exp(-(rows[:, 0] - rows[:, 1]))))


def predictor(factory, config=SHADOW, **kw):
    return EndpointPredictor(config, payload_format(config, "text/csv", ["a", "b"]), client_factory=factory,
                             poll_seconds=0, **kw)


def test_shadow_endpoint_is_created_waited_for_used_and_deleted(fake_factory):
    fake, factory = fake_factory(probability_csv, statuses=("Creating", "Creating", "InService"))
    model = predictor(factory)
    records = np.array([[2.0, 0.0], [0.0, 2.0]])
    answers = model.answers(records)
    np.testing.assert_allclose(answers.scores, 1 / (1 + np.exp(-np.array([2.0, -2.0]))))
    name = model.endpoint_name
    assert name.startswith("sm-clarify-credit-model-") and len(name) == len("sm-clarify-credit-model-") + 12
    config = fake.configs[name]["ProductionVariants"][0]
    assert config == {"VariantName": "AllTraffic", "ModelName": "credit-model", "InitialInstanceCount": 1,
                      "InstanceType": "ml.m5.xlarge"}
    invoke = [kw for op, kw in fake.calls if op == "invoke_endpoint"][0]
    assert invoke == {"EndpointName": name, "ContentType": "text/csv", "Accept": "text/csv"}
    assert fake.bodies == [b"2,0\n0,2"]
    model.close()
    assert fake.endpoints == {} and fake.configs == {}
    assert [op for op, _ in fake.calls][-2:] == ["delete_endpoint", "delete_endpoint_config"]


def test_existing_endpoint_is_used_as_is_and_never_deleted(fake_factory):
    fake, factory = fake_factory(probability_csv)
    model = predictor(factory, PredictorConfig(endpoint_name="prod-endpoint", custom_attributes="trace=1"))
    model.answers(np.array([[1.0, 0.0]]))
    model.close()
    assert [op for op, _ in fake.calls] == ["invoke_endpoint"]
    assert fake.calls[0][1]["EndpointName"] == "prod-endpoint" and fake.calls[0][1]["CustomAttributes"] == "trace=1"


def test_failed_shadow_endpoint_names_the_reason_and_is_deleted(fake_factory):
    fake, factory = fake_factory(probability_csv, statuses=("Creating", "Failed"),
                                 failure="ModelLoadError: cannot unpickle model.joblib")
    model = predictor(factory)
    with deleting_on_sigterm(model), pytest.raises(JobError) as error:
        model.answers(np.array([[1.0, 0.0]]))
    assert "credit-model failed: ModelLoadError: cannot unpickle model.joblib" in str(error.value)
    assert fake.endpoints == {} and fake.configs == {}


def test_endpoint_that_never_gets_ready_fails_after_the_bound_and_is_deleted(fake_factory):
    fake, factory = fake_factory(probability_csv, statuses=("Creating",))
    model = predictor(factory, ready_timeout=0.0)
    with deleting_on_sigterm(model), pytest.raises(JobError, match="still Creating after 0 seconds"):
        model.answers(np.array([[1.0, 0.0]]))
    assert fake.endpoints == {}


def test_wrong_number_of_answers_is_a_model_response_error(fake_factory):
    fake, factory = fake_factory(lambda rows: "0.5")
    model = predictor(factory)
    with deleting_on_sigterm(model), pytest.raises(ModelResponseError, match="answered 1 predictions for 3 records"):
        model.answers(np.zeros((3, 2)))
    assert fake.endpoints == {}


def test_records_go_in_batches_under_the_payload_limit(fake_factory, monkeypatch):
    monkeypatch.setattr(payload, "MAX_PAYLOAD_BYTES", 64)
    fake, factory = fake_factory(probability_csv)
    model = predictor(factory, PredictorConfig(endpoint_name="e"))
    records = np.column_stack([np.arange(40.0), np.zeros(40)])
    answers = model.answers(records)
    assert len(fake.bodies) > 1 and all(len(body) <= 64 for body in fake.bodies)
    assert b"\n".join(fake.bodies) == "\n".join(f"{int(i)},0" for i in range(40)).encode()
    assert answers.scores.shape == (40,)


def test_sigterm_deletes_the_shadow_endpoint(fake_factory):
    fake, factory = fake_factory(probability_csv)
    model = predictor(factory)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(JobTerminated):
        with deleting_on_sigterm(model):
            model.answers(np.array([[1.0, 0.0]]))
            assert fake.endpoints
            os.kill(os.getpid(), signal.SIGTERM)
    assert fake.endpoints == {} and fake.configs == {}
    assert signal.getsignal(signal.SIGTERM) == before
