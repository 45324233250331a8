"""Settings for the whole test suite.

Property tests draw their examples from a fixed seed (``derandomize``): a run on any machine tries the same
examples, so a failure is reproducible and a green run means the same thing everywhere. Widen the search
locally with ``--hypothesis-seed=<n>`` or ``HYPOTHESIS_PROFILE=explore``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("sagewatch", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "sagewatch"))
