"""The sagewatch CDK kit: constructs in ``components/``, stacks that compose them, props in ``config.py``."""
