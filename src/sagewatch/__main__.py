from sagewatch.cli import main
from sagewatch.process_exit import run_and_exit

run_and_exit(main)
