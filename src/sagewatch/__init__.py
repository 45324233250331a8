"""sagewatch: SageMaker Model Monitor, anywhere.

The engine (profiles, constraints, drift, the processing-job contract) imports no AWS SDK.
"""

__version__ = "0.1.0"
