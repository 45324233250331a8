"""Durable emulator state: sagewatch's SageMaker store, moto's SageMaker records and the endpoints, saved under
the emulator's state folder and restored when it starts again (:mod:`.keeper`; docs: ``docs/emulator.md``)."""
