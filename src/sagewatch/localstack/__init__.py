"""The sagewatch LocalStack plugin and its launcher.

- :mod:`sagewatch.localstack.process`: start, stop and inspect LocalStack on the host;
  :mod:`~sagewatch.localstack.launcher` is its command line (``sagewatch local``).
- :mod:`sagewatch.localstack.providers`: the ``localstack.aws.provider`` factories for ``sagemaker`` and
  ``sagemaker-runtime``.
- :mod:`sagewatch.localstack.hooks`: ``on_infra_start`` / ``on_infra_shutdown`` hooks (the Python 3.11
  compatibility shim, the ``/_sagewatch`` routes).

Importing this package imports nothing from LocalStack; the plugin modules do, and only LocalStack loads them.
"""
