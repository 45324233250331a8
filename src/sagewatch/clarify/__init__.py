"""SageMaker Clarify, emulated: bias metrics (``clarify.bias``, ``clarify.config``) and feature attribution
(``clarify.explain``), contract §7."""
