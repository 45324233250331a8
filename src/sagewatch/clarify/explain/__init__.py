"""Feature attribution as SageMaker Clarify computes it (contract §7.2 ``shap``, §7.5, §7.6).

Modules, in the order the work flows:

- ``settings.py``: the ``shap`` method of ``analysis_config.json`` read into :class:`ShapSettings`;
- ``model.py``: the model as a checked ``predict(X) -> ndarray`` callable, and local model files;
- ``background.py``: the baseline rows Kernel SHAP replaces features with (inline rows, a file, k-means);
- ``kernel.py`` / ``tree.py``: local SHAP values with the ``shap`` library (Kernel SHAP, exact tree SHAP);
- ``coalitions.py``: shap's Kernel SHAP split into sampling and solve, so the model answers on other threads;
- ``explain.py``: one run end to end, global values by ``agg_method``, ``analysis.json`` and ``out.csv``;
- ``ndcg.py`` / ``drift.py``: attribution drift against a baseline ``analysis.json``, violations, metric lines;
- ``shift.py``: sagewatch's per-feature attribution shift and its inline-SVG chart.
"""
