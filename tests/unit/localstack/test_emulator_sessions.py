"""sagewatch.localstack.sessions: clients for the emulator through localstack-client."""

import doctest
import sys

import pytest

from sagewatch.errors import InvalidParameterError, SagewatchError
from sagewatch.localstack import sessions
from sagewatch.localstack.sessions import emulator_session


def _installed():
    return pytest.importorskip("localstack_client.session",
                               reason="localstack-client is not installed yet: run `make install` (localstack extra)")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST", "USE_SSL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def _sent_to(client, operation, **params):
    """The URL a request of ``client`` goes to, answered in process (no network)."""
    from botocore.awsrequest import AWSResponse

    seen = []

    def answer(request, **_):
        seen.append((request.url, request.headers.get("Authorization", b"")))
        return AWSResponse(request.url, 200, {}, None)
    client.meta.events.register("before-send", answer)
    try:
        getattr(client, operation)(**params)
    except Exception:  # noqa: BLE001 - the empty answer may not parse; the request was sent
        pass
    return seen[0]


def test_clients_talk_to_the_given_emulator_with_test_credentials(clean_env):
    _installed()
    session = emulator_session("http://127.0.0.1:4599", region_name="eu-west-1")
    sagemaker = session.client("sagemaker")
    assert (sagemaker.meta.endpoint_url, sagemaker.meta.region_name) == ("http://127.0.0.1:4599", "eu-west-1")
    url, authorization = _sent_to(sagemaker, "list_monitoring_schedules")
    assert url.startswith("http://127.0.0.1:4599")
    assert b"Credential=test/" in (authorization if isinstance(authorization, bytes) else authorization.encode())
    from botocore.config import Config
    s3 = session.client("s3", config=Config(s3={"addressing_style": "path"}))
    assert _sent_to(s3, "list_objects_v2", Bucket="b")[0].startswith("http://127.0.0.1:4599/b")


def test_without_an_endpoint_localstack_host_is_used(clean_env, monkeypatch):
    _installed()
    monkeypatch.setenv("LOCALSTACK_HOST", "emulator.internal:4700")
    assert emulator_session().client("s3").meta.endpoint_url == "http://emulator.internal:4700"


def test_an_environment_pointing_elsewhere_is_an_error(clean_env, monkeypatch):
    _installed()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://other:4566")
    with pytest.raises(SagewatchError, match="would send requests to http://other:4566, not http://127.0.0.1:4566"):
        emulator_session("http://127.0.0.1:4566")


def test_the_local_demo_gets_its_clients_from_the_emulator_session(clean_env, tmp_path, monkeypatch):
    _installed()
    from sagewatch.demo_local import LocalLoop
    monkeypatch.chdir(sessions.__file__.rsplit("/src/", 1)[0])  # the checkout holding cdk.json and app.py
    made = []

    def spy(*args, **kwargs):
        made.append((args, kwargs))
        return emulator_session(*args, **kwargs)
    monkeypatch.setattr(sessions, "emulator_session", spy)
    loop = LocalLoop("http://127.0.0.1:4611/", tmp_path, log=lambda *_: None)
    assert made == [(("http://127.0.0.1:4611",), {"region_name": "us-east-1"})]
    client = loop.client("sagemaker")
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:4611", "us-east-1")
    assert client.meta.config.read_timeout == 120


@pytest.mark.parametrize("url", ["127.0.0.1:4566", "ftp://h:1", "http://:4566", "http://h:port", "http://h:1/x"])
def test_bad_endpoint_urls_are_refused(url):
    with pytest.raises(InvalidParameterError, match="endpoint_url must look like http://127.0.0.1:4566"):
        emulator_session(url)


def test_a_missing_localstack_client_says_how_to_install_it(monkeypatch):
    for name in ("localstack_client", "localstack_client.config", "localstack_client.session"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    with pytest.raises(SagewatchError, match=r"localstack-client is not installed.*make install"):
        emulator_session("http://127.0.0.1:4566")


def test_docstring_examples():
    result = doctest.testmod(sessions)
    assert result.failed == 0 and result.attempted > 0
