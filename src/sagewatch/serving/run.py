"""Run the model server in the foreground: fetch the artefacts, bind, fork workers, serve until SIGTERM.

This is what ``python -m sagewatch.serving`` does after parsing its settings.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

from sagewatch.serving.artifacts import fetch, relocate_model_path
from sagewatch.serving.errors import ModelServerError
from sagewatch.serving.server import ModelService, _HTTPServer, make_http_server
from sagewatch.serving.settings import OPT_ML_MODEL, ServerSettings

__all__ = ["prepare", "run"]

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def prepare(settings: ServerSettings, workdir: Path) -> tuple[Path, Path | None]:
    """Fetch what *settings* name into *workdir*; return ``(model_dir, code_dir)``.

    ``code_dir`` is ``None`` when the default applies (``code/`` of the model folder, else the folder).

    Examples
    --------
    >>> s = ServerSettings(model_dir=Path("model"), code_dir="/opt/ml/model/code")
    >>> [p.as_posix() for p in prepare(s, Path("unused"))]
    ['model', 'model/code']
    """
    if settings.model_dir is not None:
        model_dir = settings.model_dir
    else:
        assert settings.model_data is not None
        logger.info("Fetching %s", settings.model_data)
        model_dir = fetch(settings.model_data, workdir / "model", s3_endpoint_url=settings.s3_endpoint_url)
    code_dir = None
    if settings.code_dir:
        code_dir = relocate_model_path(settings.code_dir, model_dir, OPT_ML_MODEL)
        if code_dir is None:
            code_dir = fetch(settings.code_dir, workdir / "code", s3_endpoint_url=settings.s3_endpoint_url)
    return model_dir, code_dir


class _Stop(BaseException):  # noqa: N818
    """Raised by the signal handler to abandon start-up.

    A ``BaseException`` on purpose, like ``KeyboardInterrupt``: it must pass through the ``except Exception``
    of ``model_fn`` and of the loaders instead of being reported as a load failure. It never leaves this module.
    """


def _serve(server: _HTTPServer, service: ModelService) -> int:
    """Load the model while serving ``/ping`` (503), then serve until SIGTERM or SIGINT; the exit code."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if not service.ready:
            raise _Stop

    for number in _STOP_SIGNALS:
        signal.signal(number, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="sagewatch-serving")
    thread.start()
    try:
        try:
            service.load()
        except _Stop:
            return 0
        except ModelServerError as error:
            logger.error("The model cannot be served: %s", error)
            return 1
        except Exception:
            logger.exception("The model cannot be served")
            return 1
        host, port = server.server_address[:2]
        logger.info("Ready: serving on http://%s:%s (pid %d)", host, port, os.getpid())
        while not stop.wait(1.0):
            pass
        logger.info("Stopping (pid %d)", os.getpid())
        return 0
    except _Stop:
        return 0
    finally:
        server.shutdown()
        server.server_close()


def _supervise(server: _HTTPServer, service: ModelService, workers: int) -> int:
    """Fork *workers* processes sharing the bound socket; stop them all when one exits or on SIGTERM."""
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                code = _serve(server, service)
            finally:
                os._exit(code)
        children.append(pid)
    server.server_close()  # the workers hold the socket
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for number in _STOP_SIGNALS:
        signal.signal(number, on_signal)
    result = 0
    while children:
        pid, status = os.wait()
        if pid not in children:
            continue
        children.remove(pid)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            result = result or (code if code > 0 else 1)
        if not stopping:
            logger.error("Worker %d exited with status %d; stopping the others", pid, code)
            on_signal(signal.SIGTERM, None)
    return result


def run(settings: ServerSettings) -> int:
    """Serve the model of *settings* until SIGTERM or SIGINT; the process exit code (0, or 1 on failure).

    Temporary folders for fetched artefacts are removed on exit.
    """

    def abandon(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = {number: signal.signal(number, abandon) for number in _STOP_SIGNALS}
    try:
        with tempfile.TemporaryDirectory(prefix="sagewatch-serving-") as workdir:
            try:
                model_dir, code_dir = prepare(settings, Path(workdir))
            except ModelServerError as error:
                logger.error("The model cannot be served: %s", error)
                return 1
            service = ModelService(model_dir, code_dir=code_dir, program=settings.program,
                                   program_required=settings.program_required,
                                   default_accept=settings.default_accept, predict_method=settings.predict_method,
                                   workers=settings.workers, max_payload_bytes=settings.max_payload_bytes)
            try:
                server = make_http_server(settings.host, settings.port, service)
            except OSError as error:
                logger.error("Cannot listen on %s:%s: %s", settings.host, settings.port, error)
                return 1
            logger.info("Listening on %s:%s; loading the model from %s", settings.host, server.server_port,
                        model_dir)
            if settings.workers == 1:
                return _serve(server, service)
            return _supervise(server, service, settings.workers)
    except _Stop:
        return 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
