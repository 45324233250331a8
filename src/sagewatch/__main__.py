import sys

from sagewatch.cli import main

sys.exit(main())
