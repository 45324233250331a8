"""Clarify bias metrics (contract §7.3-7.6): facets collapsed to binary, counts, the pre- and post-training
metrics, the ``analysis.json`` report and bias drift."""
