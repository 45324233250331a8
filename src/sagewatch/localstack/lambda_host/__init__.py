"""Lambda functions as host processes: sagewatch's ``hostprocess`` runtime executor for LocalStack.

- :mod:`sagewatch.localstack.lambda_host.executor`: the ``localstack.lambda.runtime_executor`` plugin
  (``LAMBDA_RUNTIME_EXECUTOR=hostprocess``). It unpacks a Python function's code and layers and starts one host
  process per execution environment, running the function with the interpreter that runs LocalStack.
- :mod:`sagewatch.localstack.lambda_host.init`: the program that host process runs, a standard-library-only
  implementation of LocalStack's init wire protocol and of the AWS Python runtime's handler contract.

Importing this package imports nothing from LocalStack; only the executor module does, and only LocalStack
loads it.
"""
