"""Batch transform jobs of the emulator: the API (``service.py``), the run (``runner.py``), how files become
requests and answers become ``.out`` files (``records.py``), the capture manifests (``capture.py``), ``DataProcessing``
(``data_processing.py``, ``jsonpath.py``) and the job's S3 calls (``storage.py``)."""
