"""``python -m sagewatch.localstack up|down|status|logs``: same as ``sagewatch local ...``."""

import sys

from sagewatch.localstack.launcher import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m sagewatch.localstack"))
