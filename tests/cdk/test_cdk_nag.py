"""cdk-nag AwsSolutions (added by app.py as an aspect): zero errors on every stack of every stage, and every
suppression carries a reason."""

import pytest
from aws_cdk.assertions import Annotations, Match

from sw_cdkhelpers import STAGES, synthesized, templates_of

STACKS = ("storage", "endpoint", "monitoring")


def _findings(stage, kind):
    _, stacks = synthesized(stage)
    found = {}
    for name in STACKS:
        annotations = Annotations.from_stack(getattr(stacks, name))
        finder = annotations.find_error if kind == "error" else annotations.find_warning
        found[name] = [f"{m.id}: {m.entry.data}" for m in finder("*", Match.string_like_regexp("AwsSolutions-.*"))]
    return found


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_no_aws_solutions_errors(stage):
    errors = _findings(stage, "error")
    assert errors == {name: [] for name in STACKS}


@pytest.mark.parametrize("stage", ["local", "aws"])
def test_no_aws_solutions_warnings(stage):
    assert _findings(stage, "warning") == {name: [] for name in STACKS}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_suppression_has_a_reason(stage):
    suppressions = []
    for template in templates_of(stage).values():
        for logical_id, resource in template["Resources"].items():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                suppressions.append((logical_id, rule["id"], rule["reason"]))
    assert suppressions, "expected the justified suppressions (IAM5, L1, SM1) to be recorded in the templates"
    for logical_id, rule_id, reason in suppressions:
        assert rule_id.startswith("AwsSolutions-"), (logical_id, rule_id)
        assert len(reason) >= 40, (logical_id, rule_id, reason)


def test_the_check_does_see_errors():
    """A bucket without logging or TLS enforcement must be reported, or the zero-error tests prove nothing."""
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    s3.Bucket(stack, "Plain")
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert {m.entry.data.split(":")[0] for m in errors} >= {"AwsSolutions-S1", "AwsSolutions-S10"}
