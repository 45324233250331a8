"""Monitoring executions: :mod:`.launcher` runs one (definition, window, baseline, job), :mod:`.registry` maps a
monitoring type to its module (one module per monitor: :mod:`.data_quality`), which plans the processing job
through :mod:`sagewatch.job.execution_contract`."""
