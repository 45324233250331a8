"""SageMaker runtime (``sagemaker-runtime:default``) and endpoint hosting: model servers, routing, capture, metrics."""
