"""CDK-kit tests: assertions on every stack, cdk-nag, cfn-lint, synthesis without credentials, the LocalStack
resource-provider guard, the containers' entry points and the Lambda handlers."""

import pytest

import sw_cdkhelpers


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "localstack_guard: the LocalStack CloudFormation resource-provider guard (fails while a resource "
                   "type of the local target has no provider)")


@pytest.fixture(scope="session")
def cdk_helpers():
    return sw_cdkhelpers
