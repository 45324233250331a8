"""Entry points, hooks and routes of the LocalStack plugin, without starting LocalStack."""

import json
import uuid
from importlib import metadata

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from localstack.http import Request  # noqa: E402
from localstack.services.edge import ROUTER  # noqa: E402
from werkzeug.exceptions import NotFound  # noqa: E402

from sagewatch.localstack import hooks  # noqa: E402


@pytest.mark.parametrize("namespace, names", [
    ("localstack.aws.provider", {"sagemaker:default", "sagemaker-runtime:default"}),
    ("localstack.hooks.on_infra_start", {"apply_python311_compat", "register_sagewatch_routes"}),
    ("localstack.hooks.on_infra_shutdown", {"remove_sagewatch_routes", "wake_gateway_on_shutdown"}),
])
def test_entry_points_are_installed(namespace, names):
    # Fails after editing the entry points in pyproject.toml until the project is installed again.
    # Read from the distribution's metadata, not through plux, whose index cache can lag (see hostmode).
    installed = {ep.name for ep in metadata.distribution("sagewatch").entry_points if ep.group == namespace}
    assert names <= installed


def test_entry_points_resolve_to_plux_plugins():
    # What LocalStack's plugin managers load: each name resolves to a spec in its namespace.
    for namespace in ("localstack.aws.provider", "localstack.hooks.on_infra_start",
                      "localstack.hooks.on_infra_shutdown"):
        for ep in metadata.distribution("sagewatch").entry_points:
            if ep.group == namespace:
                spec = ep.load()
                plugin_spec = getattr(spec, "__pluginspec__", spec)
                assert plugin_spec.namespace == namespace
                assert plugin_spec.name == ep.name


def test_compat_hook_runs_before_other_start_hooks(monkeypatch):
    monkeypatch.setattr(uuid, "uuid5", uuid.uuid5)
    monkeypatch.setattr(uuid, "uuid3", uuid.uuid3)
    assert hooks.apply_python311_compat.hook_priority > hooks.register_sagewatch_routes.hook_priority
    hooks.apply_python311_compat()
    assert uuid.uuid5(uuid.NAMESPACE_DNS, b"python.org") == uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")


def test_health_route_is_added_and_removed():
    hooks.register_sagewatch_routes()
    hooks.register_sagewatch_routes()  # a second start hook call adds nothing
    try:
        response = ROUTER.dispatch(Request("GET", "/_sagewatch/health"))
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert json.loads(response.get_data()) == {"status": "ok", "version": metadata.version("sagewatch")}
    finally:
        hooks.remove_sagewatch_routes()
    with pytest.raises(NotFound):
        ROUTER.dispatch(Request("GET", "/_sagewatch/health"))
