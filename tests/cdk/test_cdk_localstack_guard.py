"""Every resource type of the local target's templates must have a LocalStack CloudFormation resource provider.

LocalStack 4.13.1 deploys a resource type it has no provider for as an empty "fallback" and reports
CREATE_COMPLETE (localstack-plugin.md §5.3), so a green local deployment proves nothing unless this holds.
The providers are read from the installed plux entry points of ``localstack.cloudformation.resource_providers``
(LocalStack's own and sagewatch's ``AWS::SageMaker::*`` plugins), never from a list kept here.
"""

from collections import defaultdict

import pytest

from sw_cdkhelpers import templates_of

pytestmark = pytest.mark.localstack_guard

NAMESPACE = "localstack.cloudformation.resource_providers"
LOCAL_STAGES = ("local", "local-processing", "local-all-monitors", "local-clarify")  # every type the local target can use


def _providers():
    """Resource type -> distribution that provides it, from the installed entry points."""
    from importlib.metadata import distributions

    from plux import PluginManager

    names = set(PluginManager(NAMESPACE).list_names())
    owners = {}
    for distribution in distributions():
        for entry_point in distribution.entry_points:
            if entry_point.group == NAMESPACE:
                owners[entry_point.name] = distribution.metadata["Name"]
    return {name: owners.get(name, "localstack-core") for name in names}


def _used_types():
    used = defaultdict(set)
    for stage in LOCAL_STAGES:
        for stack, template in templates_of(stage).items():
            for resource in template["Resources"].values():
                kind = resource["Type"]
                kind = "AWS::CloudFormation::CustomResource" if kind.startswith("Custom::") else kind
                used[kind].add(f"{stage}/{stack}")
    return used


def test_localstack_providers_are_discovered():
    providers = _providers()
    assert {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Lambda::Function", "AWS::Events::Rule"} <= set(providers)


def test_project_provider_plugins_load_and_carry_their_type():
    """A plugin of ours that is declared but does not import, or names another type, provides nothing."""
    from importlib.metadata import entry_points

    used = _used_types()
    for entry_point in entry_points(group=NAMESPACE):
        if entry_point.name in used and not entry_point.value.startswith("localstack."):
            plugin = entry_point.load()
            assert getattr(plugin, "name", None) == entry_point.name, entry_point


def test_every_local_resource_type_has_a_localstack_provider():
    providers = _providers()
    missing = {kind: sorted(where) for kind, where in sorted(_used_types().items()) if kind not in providers}
    assert missing == {}, (
        "LocalStack would deploy these types as empty fallbacks (no resource provider in "
        f"{NAMESPACE}): {missing}")
