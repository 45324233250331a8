"""Constructs of the sagewatch CDK kit: each one a logical unit; stacks only compose them."""
