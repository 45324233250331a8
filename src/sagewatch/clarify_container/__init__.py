"""``python -m sagewatch.clarify_container``: what SageMaker's Clarify processing image does (contract §7.1).

A thin shell over the engine, like :mod:`sagewatch.lambda_support`; it may use boto3 (the model's endpoint),
the engine never does.

- **Processing-job mode** (no ``analysis_type``, no ``baseline_constraints``): the SDK's
  ``SageMakerClarifyProcessor.run_*``. ``analysis_config.json`` at ``/opt/ml/processing/input/config``, the data at
  ``/opt/ml/processing/input/data``; the ``methods`` present run (``pre_training_bias``, ``post_training_bias``,
  ``shap``, ``report``) and write one ``analysis.json`` (plus ``explanations_shap/out.csv`` and ``report.html``)
  to ``/opt/ml/processing/output`` (:mod:`.processing`).
- **Monitoring mode** (``analysis_type`` ``MODEL_BIAS`` / ``MODEL_EXPLAINABILITY``, or only ``baseline_constraints``,
  whose content decides): the engine's ``run_job`` with the model of ``predictor`` injected for explainability
  (:mod:`.monitoring`).
- The model: ``predictor.endpoint_name``, or a shadow endpoint of ``predictor.model_name`` deleted at the end,
  whatever happens (:mod:`.endpoint`; requests and answers in :mod:`.payload`).
"""
