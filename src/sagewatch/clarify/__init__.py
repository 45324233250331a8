"""Clarify-compatible analyses: bias (``clarify.bias``) and their ``analysis_config.json`` (``clarify.config``)."""
