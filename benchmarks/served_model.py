"""A model served by sagewatch's model server (the emulator's, ``python -m sagewatch.serving``) as a host
process, and a ``predict`` function that calls its ``/invocations`` as an endpoint client would.

Used by ``bench_attribution.py``. The requests carry ``application/x-npy`` bodies of at most
:data:`PAYLOAD_BYTES` (InvokeEndpoint's 6 MB limit): one record's Kernel SHAP coalitions at 20 features and
the default sample count are 20,880 rows, 3.3 MB as .npy; as CSV with full precision they are about 8 MB, two
requests, and the server's CSV parser takes seconds per million rows, so the wire format, not the explainer,
would set the time.
"""

from __future__ import annotations

import http.client
import io
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

PAYLOAD_BYTES = 6 * 1024 * 1024 - 1024  # the body limit, less room for the .npy header


class ServedPredict:
    """``predict(X)``: the positive-class probability from the served model, in requests under the limit;
    one keep-alive connection per calling thread."""

    def __init__(self, port: int, positive_column: int | None = 1) -> None:
        self.port, self.positive_column = port, positive_column
        self._local = threading.local()
        self.requests = 0

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        return self._local.connection

    def _one(self, rows: np.ndarray) -> np.ndarray:
        body = io.BytesIO()
        np.save(body, np.ascontiguousarray(rows, dtype=np.float64))
        connection = self._connection()
        connection.request("POST", "/invocations", body=body.getvalue(),
                           headers={"Content-Type": "application/x-npy", "Accept": "application/x-npy"})
        response = connection.getresponse()
        payload = response.read()
        self.requests += 1
        if response.status != 200:
            raise RuntimeError(f"the model server answered {response.status}: {payload[:300]!r}")
        return np.load(io.BytesIO(payload), allow_pickle=False)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float64)
        per_request = max(1, PAYLOAD_BYTES // (8 * rows.shape[1]))
        answer = np.concatenate([self._one(rows[i:i + per_request]) for i in range(0, len(rows), per_request)])
        return answer[:, self.positive_column] if self.positive_column is not None else answer


@contextmanager
def served(model: object, *, predict_method: str = "predict_proba") -> Iterator[int]:
    """Serve ``model`` (saved with joblib) from a host process on a free port; yields the port."""
    import joblib

    from sagewatch.serving import find_free_port, spawn_server, wait_until_ready

    with tempfile.TemporaryDirectory() as folder:
        joblib.dump(model, Path(folder) / "model.joblib")
        port = find_free_port()
        process = spawn_server(folder, port, extra_args=["--predict-method", predict_method, "--log-level", "WARNING"])
        try:
            wait_until_ready(port, timeout=120, process=process)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)
