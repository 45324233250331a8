"""SageMaker runtime (``sagemaker-runtime:default``): InvokeEndpoint served by host-process model workers."""
