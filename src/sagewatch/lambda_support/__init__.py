"""Glue between the CDK kit's Lambda handlers (``lambda/<name>/handler.py``) and the engine.

The handlers stay thin: they parse the event, create boto3 clients and call these functions, which take the
clients as arguments. Nothing here imports boto3, and :mod:`~sagewatch.lambda_support.monitoring` and
:mod:`~sagewatch.lambda_support.retraining` import nothing heavier than the standard library, so a Lambda that
only starts processing jobs does not need numpy and friends.
"""
