#!/usr/bin/env python3
"""CDK app entry point (the CDK kit arrives with the CDK issue; see stacks/README.md)."""

import sys

sys.exit("The sagewatch CDK kit is not part of this release yet: see stacks/README.md.")
