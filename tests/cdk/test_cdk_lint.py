"""cfn-lint on the synthesized templates of both targets (and of the other stages the tests build): no errors."""

import json

import pytest
from cfnlint.api import ManualArgs, lint

from sw_cdkhelpers import STAGES, templates_of

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def _matches(template):
    return lint(json.dumps(template), config=ManualArgs(regions=REGIONS))


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_cfn_lint_reports_no_errors(stage):
    report = {}
    for stack, template in templates_of(stage).items():
        errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in _matches(template)
                  if m.rule.id.startswith("E")]
        report[stack] = errors
    assert report == {stack: [] for stack in report}


def test_cfn_lint_does_see_errors():
    broken = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": 1}}}}
    assert any(m.rule.id.startswith("E") for m in _matches(broken))
