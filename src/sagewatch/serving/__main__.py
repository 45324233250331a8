"""``python -m sagewatch.serving``: see :mod:`sagewatch.serving.cli`."""

import sys

from sagewatch.serving.cli import main

sys.exit(main())
