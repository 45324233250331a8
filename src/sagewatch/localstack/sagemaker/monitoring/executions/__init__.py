"""Monitoring executions: :mod:`.launcher` runs one (definition, window, baseline, its chain of jobs),
:mod:`.registry` maps a monitoring type to its module (one module per monitor: :mod:`.data_quality`,
:mod:`.model_quality`), which plans the processing jobs through :mod:`sagewatch.job.execution_contract`."""
