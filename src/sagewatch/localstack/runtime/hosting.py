"""The emulator's endpoint hosting: sagewatch's own store of what moto does not model.

moto records models, endpoint configs and endpoints; :class:`Hosting` keeps, per account, region and endpoint
name, an :class:`EndpointRuntime`: the real status (``Creating`` → ``InService`` | ``Failed``, ``Updating``,
``Deleting``), the failure reason, the active :class:`~sagewatch.localstack.runtime.deployment.Deployment` (model
servers, routing, capture writer) and the one being started by an update. It also owns the process-wide
services: the capture spool and uploader, the metrics publisher and the model-server registry.

A watcher thread checks the model servers of every active deployment each :data:`SERVER_CHECK_SECONDS` (and at
once when an invocation finds its server gone): a server whose process ended (crashed, killed, ran out of memory)
is replaced by a new one on the same model, without user action. Meanwhile the variant's invocations answer
``ServiceUnavailable`` and ``DescribeEndpoint`` shows the variant ``Updating`` with the reason; the endpoint
stays ``InService``, as SageMaker replaces an unhealthy instance.

The control plane (:mod:`sagewatch.localstack.sagemaker.endpoints.handlers`) and the runtime provider
(:mod:`sagewatch.localstack.runtime.provider`) share one :class:`Hosting`, created on first use by
:func:`get_hosting` (LocalStack runs both providers in one process).
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sagewatch.localstack.capture import CaptureConfig, CaptureService, SpoolTarget
from sagewatch.localstack.metrics import InvocationMetrics, MetricsPublisher, ServerSample, VariantKey
from sagewatch.localstack.runtime.deployment import Deployment, VariantDeployment
from sagewatch.localstack.runtime.servers import ModelServer, ServedModel, ServerRegistry
from sagewatch.localstack.runtime.settings import HostingSettings, servable_image
from sagewatch.serving import ServerStartError

__all__ = ["AwsClients", "EndpointRuntime", "Hosting", "get_hosting", "shutdown_hosting"]

LOG = logging.getLogger(__name__)

CREATING, IN_SERVICE, UPDATING, FAILED, DELETING = "Creating", "InService", "Updating", "Failed", "Deleting"

SERVER_CHECK_SECONDS = 1.0
"""How often the watcher looks for model servers that stopped."""
RESTART_BACKOFF_SECONDS = (1.0, 60.0)
"""After a replacement that did not start, the next try waits this long, doubling up to the cap."""


@dataclass(frozen=True)
class AwsClients:
    """The AWS calls hosting makes (LocalStack's internal clients in the emulator; fakes in unit tests)."""

    put_object: Callable[[SpoolTarget, bytes], None]
    put_metric_data: Callable[[str, str, str, list[dict[str, Any]]], None]
    server_environment: Callable[[str, str], Mapping[str, str]]
    """``(account_id, region) -> variables`` a model server needs to reach S3 as the account."""


@dataclass
class EndpointRuntime:
    """sagewatch's record of one endpoint."""

    account_id: str
    region: str
    name: str
    arn: str
    config_name: str
    status: str = CREATING
    failure_reason: str | None = None
    deployment: Deployment | None = None
    pending: Deployment | None = None
    pending_config_name: str | None = None
    pending_since: datetime | None = None
    creation_time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    last_modified_time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    deleted: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def touch(self, status: str, failure_reason: str | None = None) -> None:
        self.status = status
        self.failure_reason = failure_reason
        self.last_modified_time = datetime.now(timezone.utc)

    def enter(self) -> Deployment | None:
        """The deployment to serve one request with, counted in; None when the endpoint serves nothing."""
        while True:
            deployment = self.deployment
            if deployment is None or self.deleted:
                return None
            if deployment.enter():
                return deployment
            if self.deployment is deployment:  # retired and not replaced: the endpoint is going away
                return None
            # retired between the read and enter(): the new deployment is already in place


class Hosting:
    """Endpoints, their model servers and the capture/metrics services of one emulator process.

    Parameters
    ----------
    settings : HostingSettings
    state_dir : Path
        Kept across restarts: ``capture-spool/``, ``servers/`` (registry), ``logs/``.
    work_dir : Path
        Scratch space of the model servers (fetched models); may be emptied between runs.
    clients : AwsClients
    server_check_seconds : float
        How often the watcher looks for model servers that stopped.
    """

    def __init__(self, settings: HostingSettings, state_dir: Path, work_dir: Path, clients: AwsClients,
                 server_check_seconds: float = SERVER_CHECK_SECONDS) -> None:
        self.settings = settings
        self.state_dir = state_dir
        self.work_dir = work_dir
        self.clients = clients
        self.server_check_seconds = server_check_seconds
        self.registry = ServerRegistry(state_dir / "servers")
        self.capture = CaptureService(state_dir / "capture-spool", settings.capture_roll_seconds, clients.put_object,
                                      settings.capture_spool_max_bytes)
        self.metrics = InvocationMetrics()
        self.publisher = MetricsPublisher(self.metrics, self._server_samples, clients.put_metric_data,
                                          settings.metrics_interval)
        self._endpoints: dict[tuple[str, str, str], EndpointRuntime] = {}
        self._lock = threading.Lock()
        self._stopped = False
        self._watch_stop = threading.Event()
        self._watch_wake = threading.Event()
        self._watcher: threading.Thread | None = None
        self._replacing: set[int] = set()
        self._retry_at: dict[int, tuple[float, float]] = {}  # id(server) -> (monotonic time, back-off)

    # --- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Stop model servers a killed emulator left, queue its capture files, start the background threads."""
        stopped = self.registry.stop_leftovers()
        if stopped:
            LOG.info("sagewatch: stopped %d model server(s) of a previous run", stopped)
        self.capture.start()
        self.publisher.start()
        self._watcher = threading.Thread(target=self._watch_servers, daemon=True, name="sagewatch-server-watch")
        self._watcher.start()

    def shutdown(self, timeout: float = 20.0) -> None:
        """Stop every endpoint's servers, upload open capture files, put the last metrics."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            endpoints = list(self._endpoints.values())
            self._endpoints.clear()
        self._watch_stop.set()
        self._watch_wake.set()
        deployments = []
        for endpoint in endpoints:
            endpoint.deleted = True
            deployments += [d for d in (endpoint.deployment, endpoint.pending) if d is not None]

        def stop(deployment: Deployment) -> None:
            deployment.retire(min(5.0, self.settings.drain_timeout))
            deployment.stop()

        threads = [threading.Thread(target=stop, args=(deployment,), daemon=True) for deployment in deployments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
        self.capture.shutdown(timeout)
        self.publisher.stop(publish=True)

    # --- store ---------------------------------------------------------------------------------------------

    def get(self, account_id: str, region: str, name: str) -> EndpointRuntime | None:
        return self._endpoints.get((account_id, region, name))

    def endpoints(self, account_id: str, region: str) -> list[EndpointRuntime]:
        with self._lock:
            return [e for (a, r, _), e in self._endpoints.items() if a == account_id and r == region]

    def servable(self, image: str) -> bool:
        """Whether a container image can be served (:func:`~sagewatch.localstack.runtime.settings.servable_image`)."""
        return servable_image(image, self.settings.image_map)

    # --- control-plane operations --------------------------------------------------------------------------

    def create(self, account_id: str, region: str, name: str, arn: str, config_name: str,
               config: Mapping[str, Any], models: Mapping[str, Mapping[str, Any]]) -> EndpointRuntime:
        """Record the endpoint as ``Creating`` and start its servers in the background.

        *config* is the ``DescribeEndpointConfig`` answer, *models* the ``DescribeModel`` answers by name.
        """
        endpoint = EndpointRuntime(account_id, region, name, arn, config_name)
        endpoint.pending = self._plan(endpoint, config_name, config, models)
        endpoint.pending_config_name, endpoint.pending_since = config_name, endpoint.creation_time
        with self._lock:
            self._endpoints[(account_id, region, name)] = endpoint
        self._background(f"create-{name}", self._deploy, endpoint, endpoint.pending, None)
        return endpoint

    def update(self, endpoint: EndpointRuntime, config_name: str, config: Mapping[str, Any],
               models: Mapping[str, Mapping[str, Any]], *, retain_variant_properties: bool = False,
               excluded_properties: Sequence[str] = ()) -> None:
        """Start the servers of *config* in the background; they take over once all are healthy."""
        with endpoint.lock:
            plan = self._plan(endpoint, config_name, config, models)
            current = endpoint.deployment
            if retain_variant_properties and current is not None:
                _retain(plan, current, excluded_properties)
            endpoint.pending, endpoint.pending_config_name = plan, config_name
            endpoint.pending_since = datetime.now(timezone.utc)
            endpoint.touch(UPDATING)
        self._background(f"update-{endpoint.name}", self._deploy, endpoint, plan, current)

    def update_weights(self, endpoint: EndpointRuntime, desired: Sequence[Mapping[str, Any]]) -> None:
        """Apply ``DesiredWeightsAndCapacities`` at once (the counts are recorded, servers are not added)."""
        with endpoint.lock:
            deployment = endpoint.deployment
            assert deployment is not None
            for item in desired:
                variant = deployment.variants[item["VariantName"]]
                if item.get("DesiredWeight") is not None:
                    variant.current_weight = variant.desired_weight = float(item["DesiredWeight"])
                if item.get("DesiredInstanceCount") is not None:
                    count = int(item["DesiredInstanceCount"])
                    variant.current_instance_count = variant.desired_instance_count = count
            deployment.rebuild_routes()
            endpoint.touch(IN_SERVICE)

    def delete(self, endpoint: EndpointRuntime) -> None:
        """Forget the endpoint now; stop its servers and flush its capture files in the background."""
        with self._lock:
            self._endpoints.pop((endpoint.account_id, endpoint.region, endpoint.name), None)
        with endpoint.lock:
            endpoint.deleted = True
            endpoint.touch(DELETING)
            deployments = [d for d in (endpoint.deployment, endpoint.pending) if d is not None]
        self._background(f"delete-{endpoint.name}", self._retire_all, deployments)

    def restore(self, endpoint: EndpointRuntime, source: Mapping[str, Any] | None,
                weights: Mapping[str, Mapping[str, Any]] | None = None, unavailable: str | None = None) -> None:
        """Bring back an endpoint of a previous emulator run (:mod:`sagewatch.localstack.durable`).

        *endpoint* keeps its saved status and times. An endpoint that was ``Creating`` is created again; one
        that was ``InService`` or ``Updating`` starts the servers of its active deployment (*source*, with the
        variants' saved *weights*) and keeps its status and times while they start; an update in progress is
        not resumed. *unavailable* (a model artefact is gone) or servers that do not start make it ``Failed``.
        """
        with self._lock:
            self._endpoints[(endpoint.account_id, endpoint.region, endpoint.name)] = endpoint
        if source is None or endpoint.status == FAILED:
            return
        try:
            plan = self._plan(endpoint, endpoint.config_name, source["config"], source["models"])
        except Exception as error:  # a saved deployment that cannot be planned again: say so, keep the endpoint
            LOG.exception("sagewatch: the saved deployment of endpoint %s cannot be started again", endpoint.name)
            endpoint.touch(FAILED, "The emulator restarted and could not start the endpoint again: "
                                   f"{type(error).__name__}: {error}")
            return
        for name, saved in (weights or {}).items():
            variant = plan.variants.get(name)
            if variant is not None:
                for attribute, value in saved.items():
                    setattr(variant, attribute, value)
        plan.rebuild_routes()
        with endpoint.lock:
            if endpoint.status == UPDATING:
                endpoint.status, endpoint.failure_reason = IN_SERVICE, (
                    f"Update to endpoint config {endpoint.pending_config_name or 'unknown'} was interrupted by a "
                    "restart of the emulator; the endpoint kept its active endpoint config.")
            endpoint.pending = plan
            endpoint.pending_config_name = endpoint.config_name
            endpoint.pending_since = endpoint.pending_since or endpoint.creation_time
        if endpoint.status == CREATING:
            self._background(f"create-{endpoint.name}", self._deploy, endpoint, plan, None)
        else:
            self._background(f"restore-{endpoint.name}", self._relaunch, endpoint, plan, unavailable)

    def _relaunch(self, endpoint: EndpointRuntime, plan: Deployment, unavailable: str | None) -> None:
        try:
            reason = unavailable or self._start_servers(endpoint, plan)
        except Exception as error:  # never leave a restored endpoint without servers and without a reason
            LOG.exception("sagewatch: restarting endpoint %s failed", endpoint.name)
            reason = f"Internal error of the emulator: {type(error).__name__}: {error}"
        with endpoint.lock:
            endpoint.pending = None
            abandoned = endpoint.deleted or reason is not None
            if not endpoint.deleted and reason is not None:
                endpoint.touch(FAILED, f"The emulator restarted and could not start the endpoint again: {reason}")
            elif not abandoned:
                if plan.capture_config is not None:
                    plan.capture = self.capture.open_writer(endpoint.account_id, endpoint.region, endpoint.name,
                                                            plan.capture_config)
                endpoint.deployment = plan  # status and times stay as they were before the restart
        if abandoned:
            plan.retire(0)
            plan.stop()

    # --- internals -----------------------------------------------------------------------------------------

    def _background(self, name: str, target: Callable[..., None], *args: Any) -> None:
        threading.Thread(target=target, args=args, daemon=True, name=f"sagewatch-{name}").start()

    def _plan(self, endpoint: EndpointRuntime, config_name: str, config: Mapping[str, Any],
              models: Mapping[str, Mapping[str, Any]]) -> Deployment:
        variants = []
        for variant in config.get("ProductionVariants") or []:
            model = models.get(variant.get("ModelName", ""), {})
            served = _served_model(model)
            key = VariantKey(endpoint.account_id, endpoint.region, endpoint.name, variant["VariantName"])
            planned = VariantDeployment.from_config(key, variant, served.image if served else "")
            planned.model = served
            variants.append(planned)
        source = copy.deepcopy({"config": dict(config), "models": {name: dict(m) for name, m in models.items()}})
        return Deployment(config_name, variants, CaptureConfig.from_request(config.get("DataCaptureConfig")),
                          source=source)

    def _deploy(self, endpoint: EndpointRuntime, plan: Deployment, previous: Deployment | None) -> None:
        """Start *plan*'s servers; make it the active deployment when all answer ``/ping``, else fail."""
        try:
            reason = self._start_servers(endpoint, plan)
        except Exception as error:  # never leave an endpoint in Creating/Updating
            LOG.exception("sagewatch: deploying %s failed", endpoint.name)
            reason = f"Internal error of the emulator: {type(error).__name__}: {error}"
        with endpoint.lock:
            endpoint.pending = endpoint.pending if endpoint.pending is not plan else None
            if endpoint.deleted:
                abandoned = True
            elif reason is not None:
                abandoned = True
                if previous is None:
                    endpoint.touch(FAILED, reason)
                else:  # an update that fails rolls back: the old deployment keeps serving
                    endpoint.touch(IN_SERVICE, f"Update failed, the endpoint kept endpoint config "
                                               f"{previous.config_name}: {reason}")
            else:
                abandoned = False
                if plan.capture_config is not None:
                    plan.capture = self.capture.open_writer(endpoint.account_id, endpoint.region, endpoint.name,
                                                            plan.capture_config, self._loss_counter(endpoint))
                endpoint.deployment = plan  # the switch: new requests go to the new servers from here on
                endpoint.config_name = plan.config_name
                endpoint.touch(IN_SERVICE)
        if abandoned:
            plan.retire(0)
            plan.stop()
            return
        if previous is not None:
            self._retire_all([previous])

    def _retire_all(self, deployments: Sequence[Deployment]) -> None:
        for deployment in deployments:
            if not deployment.retire(self.settings.drain_timeout):
                LOG.warning("sagewatch: %d request(s) still running on endpoint config %s after %.0f s; stopping "
                            "its servers anyway", deployment.in_flight, deployment.config_name,
                            self.settings.drain_timeout)
            deployment.stop()

    def _start_servers(self, endpoint: EndpointRuntime, plan: Deployment) -> str | None:
        """Start one server per variant, in parallel; the failure reason, or None when all are ready."""
        reasons: dict[str, str] = {}
        deployment_id = uuid.uuid4().hex[:8]

        def start(variant: VariantDeployment) -> None:
            try:
                reason = self._start_variant(endpoint, variant, deployment_id)
            except Exception as error:  # noqa: BLE001 - a variant that cannot start must fail the endpoint
                LOG.exception("sagewatch: starting production variant %s of endpoint %s failed", variant.name,
                              endpoint.name)
                reason = (f"The primary container for production variant {variant.name} did not start: "
                          f"{type(error).__name__}: {error}")
            if reason is not None:
                reasons[variant.name] = reason

        threads = [threading.Thread(target=start, args=(variant,), daemon=True) for variant in plan.variants.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not reasons:
            return None
        name = next(name for name in plan.variants if name in reasons)
        return reasons[name]

    def _start_variant(self, endpoint: EndpointRuntime, variant: VariantDeployment, deployment_id: str) -> str | None:
        image = variant.image
        if not self.servable(image):
            return (f"The container image {image or '(none)'} of model {variant.model_name} (production variant "
                    f"{variant.name}) cannot be served by sagewatch: it serves the SageMaker scikit-learn and "
                    "XGBoost images, sagewatch-serving, and images mapped in SAGEWATCH_IMAGE_MAP.")
        return self._launch(endpoint, variant, deployment_id)

    def _launch(self, endpoint: EndpointRuntime, variant: VariantDeployment, deployment_id: str) -> str | None:
        model = variant.model
        if model is None:
            return f"Model {variant.model_name} of production variant {variant.name} does not exist."
        label = f"{endpoint.name}/{variant.name}"
        server = ModelServer(
            model,
            label=label,
            workdir=self.work_dir / endpoint.account_id / endpoint.region / endpoint.name / deployment_id
            / variant.name,
            log_file=self.log_file(endpoint.account_id, endpoint.region, endpoint.name, variant.name),
            environment=self.clients.server_environment(endpoint.account_id, endpoint.region),
            workers=self.settings.serving_workers,
            invocation_timeout=self.settings.invocation_timeout,
            registry=self.registry,
        )
        try:
            server.start(self.settings.startup_timeout)
        except ServerStartError as error:
            return (f"The primary container for production variant {variant.name} did not pass the ping health "
                    f"check: {error}")
        variant.server = server
        return None

    def _loss_counter(self, endpoint: EndpointRuntime) -> Callable[[str], None]:
        """``on_lost(variant)`` of the endpoint's capture writer: counted into ``CaptureRecordsLost``."""
        metrics = self.metrics

        def lost(variant: str) -> None:
            metrics.record_capture_lost(VariantKey(endpoint.account_id, endpoint.region, endpoint.name, variant))

        return lost

    # --- model servers that stop ---------------------------------------------------------------------------

    def server_gone(self) -> None:
        """An invocation found its model server gone: look at the servers now rather than at the next check."""
        self._watch_wake.set()

    def _watch_servers(self) -> None:
        while not self._watch_stop.is_set():
            self._watch_wake.wait(self.server_check_seconds)
            self._watch_wake.clear()
            if self._watch_stop.is_set():
                return
            try:
                self._replace_crashed()
            except Exception:  # the watcher must keep watching
                LOG.exception("sagewatch: checking the model servers failed")

    def _replace_crashed(self) -> None:
        with self._lock:
            endpoints = list(self._endpoints.values())
        for endpoint in endpoints:
            deployment = endpoint.deployment
            if deployment is None or endpoint.deleted or deployment.retired:
                continue
            for variant, server in deployment.servers():
                retry_at, _ = self._retry_at.get(id(server), (0.0, 0.0))
                if server.crashed and id(server) not in self._replacing and time.monotonic() >= retry_at:
                    self._replacing.add(id(server))
                    self._background(f"replace-{endpoint.name}-{variant.name}", self._replace_server, endpoint,
                                     variant, server)

    def _replace_server(self, endpoint: EndpointRuntime, variant: VariantDeployment, server: ModelServer) -> None:
        code = server.exit_code
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        reason = (f"The model server of production variant {variant.name} (pid {server.pid}) {how}; sagewatch is "
                  "starting a new one.")
        LOG.error("sagewatch: endpoint %s: %s See %s.", endpoint.name, reason, server.log_file)
        variant.replacing_reason, variant.replacing_since = reason, datetime.now(timezone.utc)
        try:
            seconds = server.restart(self.settings.startup_timeout)
        except ServerStartError as error:  # tried again later, with back-off
            _, backoff = self._retry_at.get(id(server), (0.0, 0.0))
            first, cap = RESTART_BACKOFF_SECONDS
            backoff = min(cap, backoff * 2 if backoff else first)
            self._retry_at[id(server)] = (time.monotonic() + backoff, backoff)
            LOG.error("sagewatch: endpoint %s: the new model server of production variant %s did not start (%s); "
                      "trying again in %.0f s", endpoint.name, variant.name, error, backoff)
        else:
            self._retry_at.pop(id(server), None)
            if server.ready:
                LOG.info("sagewatch: endpoint %s: production variant %s serves again (new model server pid %s, "
                         "ready in %.1f s)", endpoint.name, variant.name, server.pid, seconds)
                variant.replacing_reason = variant.replacing_since = None
        finally:
            self._replacing.discard(id(server))

    def log_file(self, account_id: str, region: str, endpoint_name: str, variant_name: str) -> Path:
        """The model server log of one variant (appended across deployments)."""
        return self.state_dir / "logs" / account_id / region / endpoint_name / f"{variant_name}.log"

    def _server_samples(self) -> list[ServerSample]:
        samples = []
        with self._lock:
            endpoints = list(self._endpoints.values())
        for endpoint in endpoints:
            deployment = endpoint.deployment
            if deployment is None:
                continue
            for variant, server in deployment.servers():
                if server.pid is not None and server.alive:
                    samples.append(ServerSample(variant.key, server.pid, str(server.workdir)))
        return samples


def _served_model(model: Mapping[str, Any]) -> ServedModel | None:
    try:
        return ServedModel.from_description(model) if model else None
    except ValueError:
        return None


def _retain(plan: Deployment, current: Deployment, excluded: Sequence[str]) -> None:
    """``RetainAllVariantProperties``: keep the running variants' weights and counts unless excluded."""
    for name, variant in plan.variants.items():
        old = current.variants.get(name)
        if old is None:
            continue
        if "DesiredWeight" not in excluded:
            variant.current_weight, variant.desired_weight = old.current_weight, old.desired_weight
        if "DesiredInstanceCount" not in excluded:
            variant.current_instance_count = old.current_instance_count
            variant.desired_instance_count = old.desired_instance_count
    plan.rebuild_routes()


# --- the process-wide instance ------------------------------------------------------------------------------

_hosting: Hosting | None = None
_hosting_lock = threading.Lock()


def get_hosting() -> Hosting:
    """The emulator's :class:`Hosting`, created and started on first use (inside LocalStack only)."""
    global _hosting
    with _hosting_lock:
        if _hosting is None:
            from localstack.runtime.shutdown import SHUTDOWN_HANDLERS

            hosting = _localstack_hosting()
            hosting.start()
            _hosting = hosting
            SHUTDOWN_HANDLERS.register(shutdown_hosting)  # before LocalStack stops its services (S3 included)
        return _hosting


def shutdown_hosting() -> None:
    """Shut the emulator's :class:`Hosting` down if it was created (LocalStack's shutdown)."""
    global _hosting
    with _hosting_lock:
        hosting, _hosting = _hosting, None
    if hosting is not None:
        hosting.shutdown(timeout=10.0)


def _localstack_hosting() -> Hosting:
    from localstack import config

    settings = HostingSettings.from_environ(os.environ)
    state_dir = settings.state_dir or Path(config.dirs.var_libs) / "sagewatch"
    work_dir = Path(config.dirs.tmp) / "sagewatch-serving"
    return Hosting(settings, state_dir, work_dir, AwsClients(put_object=_put_object,
                                                             put_metric_data=_put_metric_data,
                                                             server_environment=_server_environment))


def _client(service: str, account_id: str, region: str) -> Any:
    from localstack.aws.connect import connect_to

    return connect_to(aws_access_key_id=account_id, region_name=region).get_client(service)


def _put_object(target: SpoolTarget, body: bytes) -> None:
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": target.kms_key_id} if target.kms_key_id else {}
    _client("s3", target.account_id, target.region).put_object(Bucket=target.bucket, Key=target.key, Body=body,
                                                               **extra)


def _put_metric_data(account_id: str, region: str, namespace: str, data: list[dict[str, Any]]) -> None:
    _client("cloudwatch", account_id, region).put_metric_data(Namespace=namespace, MetricData=data)


def _server_environment(account_id: str, region: str) -> dict[str, str]:
    """What a model server needs to call LocalStack's AWS APIs the way a container reaches AWS."""
    from localstack import config

    return {
        "AWS_ENDPOINT_URL": config.internal_service_url(),
        "AWS_ACCESS_KEY_ID": account_id,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
