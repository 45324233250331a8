"""SageMaker Clarify, emulated: bias metrics and feature attribution (contract §7)."""
