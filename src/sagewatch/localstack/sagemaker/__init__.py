"""The SageMaker control plane (``sagemaker:default``)."""
