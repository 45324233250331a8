"""CloudWatch metrics of the emulator's endpoints, as SageMaker publishes them.

Invocation metrics, namespace ``AWS/SageMaker``, dimensions ``EndpointName`` + ``VariantName``
(DG "Monitor Amazon SageMaker AI with Amazon CloudWatch"):

================================ ====================================================== ==============
metric                           meaning                                                unit
================================ ====================================================== ==============
``Invocations``                  InvokeEndpoint requests routed to the variant          None (a count)
``Invocation4XXErrors``          requests the model answered with a 4xx status          None
``Invocation5XXErrors``          requests the model answered with a 5xx status          None
``ModelLatency``                 time the model server took to answer                   Microseconds
``OverheadLatency``              the rest of the request in the emulator (routing,      Microseconds
                                 capture)
================================ ====================================================== ==============

Instance metrics, namespace ``/aws/sagemaker/Endpoints``, same dimensions, unit ``Percent``: ``CPUUtilization``
(summed over the server's processes, so it can pass 100 on several cores, as on SageMaker),
``MemoryUtilization`` and ``DiskUtilization`` (of the file system holding the server's files), sampled with psutil.

sagewatch's own data-capture metric, namespace ``sagewatch/DataCapture`` (not an AWS namespace: SageMaker
publishes no such metric), same dimensions: ``CaptureRecordsLost`` (unit ``Count``), the sampled capture
records that could not be written to the local spool (disk full, I/O error, ``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES``
used up) while their invocations were answered. It is put only for intervals with a loss (alarm on it with
``TreatMissingData=notBreaching``).

:class:`InvocationMetrics` aggregates on the request path (a lock and a few additions);
:class:`MetricsPublisher` drains the aggregates every interval and puts them on a background thread, counts as
sums and latencies as statistic sets (``SampleCount``, ``Sum``, ``Minimum``, ``Maximum``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

__all__ = [
    "CAPTURE_NAMESPACE",
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "InvocationMetrics",
    "MetricsPublisher",
    "ServerSample",
    "VariantKey",
    "capture_metric_data",
    "instance_metric_data",
    "invocation_metric_data",
]

LOG = logging.getLogger(__name__)

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
CAPTURE_NAMESPACE = "sagewatch/DataCapture"


class VariantKey(NamedTuple):
    """Which variant of which endpoint, in which account and region."""

    account_id: str
    region: str
    endpoint: str
    variant: str


@dataclass
class _Statistics:
    count: int = 0
    total: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value

    def as_statistic_values(self) -> dict[str, float]:
        return {"SampleCount": float(self.count), "Sum": self.total, "Minimum": self.minimum,
                "Maximum": self.maximum}


@dataclass
class _VariantTotals:
    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    capture_lost: int = 0
    model_latency: _Statistics = field(default_factory=_Statistics)
    overhead_latency: _Statistics = field(default_factory=_Statistics)


class InvocationMetrics:
    """Thread-safe per-variant totals since the last :meth:`drain`.

    Examples
    --------
    >>> metrics = InvocationMetrics()
    >>> key = VariantKey("000000000000", "us-east-1", "ep", "AllTraffic")
    >>> metrics.record(key, model_latency_us=1500.0, overhead_latency_us=300.0, model_status=200)
    >>> metrics.record(key, model_latency_us=900.0, overhead_latency_us=200.0, model_status=500)
    >>> totals = metrics.drain()[key]
    >>> totals.invocations, totals.errors_5xx, totals.model_latency.maximum
    (2, 1, 1500.0)
    >>> metrics.drain()
    {}
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[VariantKey, _VariantTotals] = {}

    def record(self, key: VariantKey, *, model_latency_us: float | None, overhead_latency_us: float,
               model_status: int | None) -> None:
        """Count one invocation routed to *key*'s variant.

        *model_status* is the model server's HTTP status (None when it did not answer); *model_latency_us* is
        None when the model did not answer.
        """
        with self._lock:
            totals = self._totals.get(key)
            if totals is None:
                totals = self._totals[key] = _VariantTotals()
            totals.invocations += 1
            if model_status is None or model_status >= 500:
                totals.errors_5xx += 1
            elif model_status >= 400:
                totals.errors_4xx += 1
            if model_latency_us is not None:
                totals.model_latency.add(model_latency_us)
            totals.overhead_latency.add(overhead_latency_us)

    def record_capture_lost(self, key: VariantKey) -> None:
        """Count one sampled capture record of *key*'s variant that could not be spooled."""
        with self._lock:
            totals = self._totals.get(key)
            if totals is None:
                totals = self._totals[key] = _VariantTotals()
            totals.capture_lost += 1

    def drain(self) -> dict[VariantKey, _VariantTotals]:
        """Return the totals gathered since the last call and start again from zero."""
        with self._lock:
            totals, self._totals = self._totals, {}
        return totals


def _dimensions(key: VariantKey) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": key.endpoint}, {"Name": "VariantName", "Value": key.variant}]


def invocation_metric_data(key: VariantKey, totals: _VariantTotals, when: datetime) -> list[dict[str, Any]]:
    """``MetricData`` entries of ``AWS/SageMaker`` for one variant's totals."""
    dimensions = _dimensions(key)
    data: list[dict[str, Any]] = [
        {"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Value": float(value), "Unit": "None"}
        for name, value in (("Invocations", totals.invocations), ("Invocation4XXErrors", totals.errors_4xx),
                            ("Invocation5XXErrors", totals.errors_5xx))
    ]
    for name, statistics in (("ModelLatency", totals.model_latency), ("OverheadLatency", totals.overhead_latency)):
        if statistics.count:
            data.append({"MetricName": name, "Dimensions": dimensions, "Timestamp": when,
                         "StatisticValues": statistics.as_statistic_values(), "Unit": "Microseconds"})
    return data


def capture_metric_data(key: VariantKey, totals: _VariantTotals, when: datetime) -> list[dict[str, Any]]:
    """``MetricData`` entries of ``sagewatch/DataCapture`` for one variant's totals (none without a loss)."""
    if not totals.capture_lost:
        return []
    return [{"MetricName": "CaptureRecordsLost", "Dimensions": _dimensions(key), "Timestamp": when,
             "Value": float(totals.capture_lost), "Unit": "Count"}]


@dataclass(frozen=True)
class ServerSample:
    """One model server to sample: its variant, its process id and a path on the disk it uses."""

    key: VariantKey
    pid: int
    disk_path: str


def instance_metric_data(key: VariantKey, utilization: Mapping[str, float], when: datetime) -> list[dict[str, Any]]:
    """``MetricData`` entries of ``/aws/sagemaker/Endpoints`` (``{"CPUUtilization": 3.5, ...}``)."""
    return [{"MetricName": name, "Dimensions": _dimensions(key), "Timestamp": when, "Value": float(value),
             "Unit": "Percent"} for name, value in utilization.items()]


PutMetricData = Callable[[str, str, str, list[dict[str, Any]]], None]
"""``put_metric_data(account_id, region, namespace, metric_data)``."""


class MetricsPublisher:
    """Every *interval* seconds, put the invocation totals and the model servers' utilization.

    Parameters
    ----------
    metrics : InvocationMetrics
        Drained at each tick.
    servers : callable
        Returns the model servers to sample now.
    put_metric_data : callable
        See :data:`PutMetricData`; called once per (account, region, namespace) with at most 1000 entries.
    interval : float
        Seconds between ticks (``SAGEWATCH_METRICS_INTERVAL``).
    """

    def __init__(self, metrics: InvocationMetrics, servers: Callable[[], Iterable[ServerSample]],
                 put_metric_data: PutMetricData, interval: float) -> None:
        self.metrics = metrics
        self._servers = servers
        self._put = put_metric_data
        self.interval = interval
        self._processes: dict[int, Any] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True, name="sagewatch-metrics")
            self._thread.start()

    def stop(self, publish: bool = True) -> None:
        """Stop the thread; with *publish*, put what was gathered since the last tick first."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5.0)
        if publish:
            self.publish()

    def publish(self) -> int:
        """Put one tick's metrics now; the number of data points put."""
        when = datetime.now(timezone.utc)
        batches: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for key, totals in self.metrics.drain().items():
            if totals.invocations:
                batches.setdefault((key.account_id, key.region, INVOCATION_NAMESPACE), []).extend(
                    invocation_metric_data(key, totals, when))
            lost = capture_metric_data(key, totals, when)
            if lost:
                batches.setdefault((key.account_id, key.region, CAPTURE_NAMESPACE), []).extend(lost)
        for key, utilization in self._sample_servers():
            batches.setdefault((key.account_id, key.region, INSTANCE_NAMESPACE), []).extend(
                instance_metric_data(key, utilization, when))
        sent = 0
        for (account_id, region, namespace), data in batches.items():
            for start in range(0, len(data), 1000):
                chunk = data[start:start + 1000]
                try:
                    self._put(account_id, region, namespace, chunk)
                    sent += len(chunk)
                except Exception as error:  # CloudWatch not up: drop this tick, as an agent would
                    LOG.warning("sagewatch: putting %d metric(s) to %s failed: %s", len(chunk), namespace, error)
        return sent

    def _sample_servers(self) -> list[tuple[VariantKey, dict[str, float]]]:
        import psutil

        samples = []
        seen: set[int] = set()
        for server in self._servers():
            try:
                process = self._process(server.pid)
                family = [process, *(self._process(child.pid) for child in process.children(recursive=True))]
                seen.update(member.pid for member in family)
                cpu = sum(_cpu_percent(member) for member in family)
                memory = sum(_memory_percent(member) for member in family)
                disk = psutil.disk_usage(server.disk_path).percent
            except (psutil.Error, OSError):
                continue
            samples.append((server.key, {"CPUUtilization": cpu, "MemoryUtilization": memory,
                                         "DiskUtilization": disk}))
        for pid in set(self._processes) - seen:
            del self._processes[pid]
        return samples

    def _process(self, pid: int) -> Any:
        """A cached ``psutil.Process`` (CPU percentages are measured between two calls on the same object)."""
        import psutil

        process = self._processes.get(pid)
        if process is None:
            process = self._processes[pid] = psutil.Process(pid)
            process.cpu_percent(None)  # the first call only starts the measurement
        return process

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.publish()
            except Exception:  # keep publishing on the next tick
                LOG.exception("sagewatch: publishing endpoint metrics failed")


def _cpu_percent(process: Any) -> float:
    import psutil

    try:
        return float(process.cpu_percent(None))
    except psutil.Error:
        return 0.0


def _memory_percent(process: Any) -> float:
    import psutil

    try:
        return float(process.memory_percent())
    except psutil.Error:
        return 0.0
