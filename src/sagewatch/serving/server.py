"""The HTTP model server: SageMaker's inference-container contract on the standard library.

Routes (SageMaker DG "Custom Inference Code with Hosting Services"):

- ``GET /ping``: 200 once the model is loaded, 503 before;
- ``POST /invocations``: the request body with its ``Content-Type`` (and ``Content-Encoding``: ``gzip``,
  ``deflate``), answered in a type of ``Accept``, with the handler's ``X-Amzn-SageMaker-Custom-Attributes``;
  400 for a body that does not decode or rows the model refuses, 413 for a body (or a decompressed body)
  over the limit, 415 for an unsupported or malformed Content-Type, Accept or Content-Encoding, 500 with
  ``"<type>: <message>"`` for an exception of the model or its script, 503 before the model is loaded;
- ``GET /execution-parameters``: batch transform's ``MaxConcurrentTransforms`` (the worker count),
  ``BatchStrategy`` (``MULTI_RECORD``) and ``MaxPayloadInMB`` (the body limit in whole MB, 6 by default);
- another method on these routes: 405 with ``Allow``; another path: 404.

Every error body is ``text/plain; charset=utf-8``, one message of at most :data:`MAX_MESSAGE` characters
(the emulator turns it into the ``ModelError`` message).

HTTP/1.1 with keep-alive and ``TCP_NODELAY``. Each worker process answers one invocation at a time (the
model and the user's functions need not be thread-safe), while ``/ping`` stays answerable; run more
workers (``--workers``, forked after the socket is bound) for parallel invocations.
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from sagewatch.serving.compression import decode_content_encoding
from sagewatch.serving.content import JSON
from sagewatch.serving.errors import ModelLoadError, ModelServerError, PayloadTooLargeError
from sagewatch.serving.handlers import CUSTOM_ATTRIBUTES_HEADER, Handlers, InferenceContext, load_handlers
from sagewatch.serving.loaders import is_xgboost_booster
from sagewatch.serving.settings import LOCAL_HOST, MAX_PAYLOAD_MB

__all__ = ["ModelService", "Response", "ServerHandle", "make_http_server", "start_server"]

logger = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
IDLE_TIMEOUT = 300.0
"""Seconds an idle keep-alive connection is kept open."""
MAX_MESSAGE = 4096
"""Most characters of an error message (a model's message can quote a whole request)."""
MEGABYTE = 1024 * 1024
DRAIN_LIMIT = 128 * MEGABYTE
"""A body over the limit but at most this large is read and dropped before the 413 (a client still sending it
would otherwise get a broken pipe instead of the answer); a larger one is answered at once."""
ROUTES: dict[str, tuple[str, ...]] = {
    "/ping": ("GET", "HEAD"),
    "/execution-parameters": ("GET", "HEAD"),
    "/invocations": ("POST",),
}
"""The methods of each route (``Allow`` of a 405)."""
_CUSTOM_ATTRIBUTES_LIMIT = 1024  # InvokeEndpoint's CustomAttributes: at most 1024 visible ASCII characters


class Response(NamedTuple):
    """An HTTP answer: status, body, Content-Type and more headers."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def text(cls, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        """A ``text/plain`` answer, the message cut to :data:`MAX_MESSAGE` characters.

        Examples
        --------
        >>> len(Response.text(400, "x" * 10_000).body)
        4096
        """
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE - 3] + "..."
        return cls(status, message.encode("utf-8", "backslashreplace"), TEXT, headers)


def _custom_attributes(value: str | None) -> str | None:
    """*value* when it can travel as InvokeEndpoint's ``CustomAttributes``, else ``None`` (with a warning)."""
    if value is None:
        return None
    if len(value) <= _CUSTOM_ATTRIBUTES_LIMIT and all(" " <= character <= "~" for character in value):
        return value
    logger.warning("The handler's custom attributes are dropped: at most %d visible ASCII characters are "
                   "allowed (got %d characters)", _CUSTOM_ATTRIBUTES_LIMIT, len(value))
    return None


class ModelService:
    """The model behind the routes, independent of HTTP: load once, then answer invocations.

    Parameters
    ----------
    model_dir : Path
        The extracted model artefacts (``model_fn``'s argument).
    code_dir : Path, optional
        The folder of the inference script; ``None``: ``model_dir/code`` when it exists, else ``model_dir``.
    program : str
        The inference script's file name.
    program_required : bool
        Fail to load when the script is missing.
    default_accept : str
        The response type for a missing or ``*/*`` Accept header.
    predict_method : {"predict", "predict_proba"}
        The default ``predict_fn``'s model method.
    workers : int
        Announced as ``MaxConcurrentTransforms`` by ``/execution-parameters``.
    max_payload_bytes : int
        The largest request body accepted, before and after ``Content-Encoding`` (413 above it); announced,
        in whole MB, as ``MaxPayloadInMB``.
    """

    def __init__(self, model_dir: Path, *, code_dir: Path | None = None, program: str = "inference.py",
                 program_required: bool = False, default_accept: str = JSON, predict_method: str = "predict",
                 workers: int = 1, max_payload_bytes: int = MAX_PAYLOAD_MB * MEGABYTE) -> None:
        self.model_dir = Path(model_dir)
        if code_dir is None:
            code_dir = self.model_dir / "code" if (self.model_dir / "code").is_dir() else self.model_dir
        self.code_dir = code_dir
        self.program = program
        self.program_required = program_required
        self.default_accept = default_accept
        self.predict_method = predict_method
        self.workers = workers
        self.max_payload_bytes = max_payload_bytes
        self.handlers: Handlers | None = None
        self.model: Any = None
        self._context = InferenceContext.for_model_dir(self.model_dir)
        self._lock = threading.Lock()
        self._ready = threading.Event()

    @property
    def ready(self) -> bool:
        """Whether the model is loaded."""
        return self._ready.is_set()

    def load(self) -> None:
        """Resolve the handlers and call ``model_fn``; afterwards ``/ping`` answers 200.

        Raises
        ------
        ModelLoadError
            If the script or the model cannot be loaded (exceptions of ``model_fn`` are wrapped).
        """
        started = time.perf_counter()
        handlers = load_handlers(self.code_dir, self.program, required=self.program_required,
                                 predict_method=self.predict_method)
        try:
            model = handlers.load_model(self.model_dir)
        except ModelLoadError:
            raise
        except Exception as error:
            raise ModelLoadError(f"model_fn failed: {type(error).__name__}: {error}") from error
        if (self.predict_method != "predict" and "predict_fn" not in handlers.defined
                and handlers.transform_fn is None and not is_xgboost_booster(model)
                and not callable(getattr(model, self.predict_method, None))):
            raise ModelLoadError(f"The model ({type(model).__name__}) has no {self.predict_method} method.")
        self.handlers, self.model = handlers, model
        self._ready.set()
        logger.info("Model %s loaded from %s in %.2f s (script: %s)", type(model).__name__, self.model_dir,
                    time.perf_counter() - started, handlers.source or "none")

    def ping(self) -> Response:
        """200 when ready, 503 before."""
        if self.ready:
            return Response(200, b"", TEXT)
        return Response.text(503, "The model is not loaded yet.")

    def execution_parameters(self) -> Response:
        """Batch transform's execution parameters as JSON; ``MaxPayloadInMB`` is the body limit in whole MB.

        Examples
        --------
        >>> ModelService(Path("m"), max_payload_bytes=10 * MEGABYTE).execution_parameters().body
        b'{"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 10}'
        """
        body = {"MaxConcurrentTransforms": self.workers, "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": max(1, self.max_payload_bytes // MEGABYTE)}
        return Response(200, json.dumps(body).encode("utf-8"), JSON)

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               headers: Mapping[str, str] | None = None) -> Response:
        """Answer one invocation; never raises.

        *headers* are the request's (the handlers read them through their ``context``); the custom attributes
        a handler sets come back as the ``X-Amzn-SageMaker-Custom-Attributes`` header.

        Examples
        --------
        >>> ModelService(Path("nowhere")).invoke(b"1", "text/csv", None).status
        503
        """
        handlers = self.handlers
        if handlers is None:
            return Response.text(503, "The model is not loaded yet.")
        context = self._context.for_request(headers)
        try:
            with self._lock:
                payload, response_type = handlers.invoke(self.model, body, content_type, accept,
                                                         default_accept=self.default_accept, context=context)
        except ModelServerError as error:
            if error.status >= 500:
                logger.exception("Invocation failed")
            else:
                logger.info("Invocation refused (%d): %s", error.status, str(error)[:MAX_MESSAGE])
            return Response.text(error.status, str(error))
        except Exception as error:  # the model's or the script's exception: answered as the model's error
            logger.exception("Invocation failed")
            return Response.text(500, f"{type(error).__name__}: {error}")
        attributes = _custom_attributes(context.custom_attributes)
        extra = ((CUSTOM_ATTRIBUTES_HEADER, attributes),) if attributes is not None else ()
        return Response(200, payload, response_type, extra)


def _discard(stream: Any, length: int) -> None:
    """Read and drop *length* bytes (or until the client stops sending)."""
    while length > 0:
        chunk = stream.read(min(length, 1 << 20))
        if not chunk:
            return
        length -= len(chunk)


def _chunks(stream: Any) -> Iterator[bytes]:
    """The data of a ``Transfer-Encoding: chunked`` body, in pieces of at most 1 MB.

    Raises :class:`PayloadTooLargeError` past :data:`DRAIN_LIMIT` bytes and :class:`ModelServerError` for a
    malformed chunk size.
    """
    total = 0
    while True:
        line = stream.readline(65537)
        try:
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)
        except ValueError as error:
            raise ModelServerError("Malformed chunked request body.") from error
        if size < 0:
            raise ModelServerError("Malformed chunked request body.")
        if size == 0:
            while stream.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        total += size
        if total > DRAIN_LIMIT:
            raise PayloadTooLargeError(f"The request body is larger than {DRAIN_LIMIT} bytes.")
        while size > 0:
            piece = stream.read(min(size, 1 << 20))
            if not piece:
                raise ModelServerError("The chunked request body ends early.")
            size -= len(piece)
            yield piece
        stream.readline(65537)


def _read_chunked(stream: Any, limit: int) -> bytes:
    """Read a ``Transfer-Encoding: chunked`` body; one over *limit* is read to its end, then refused (413)."""
    parts: list[bytes] = []
    total = 0
    for piece in _chunks(stream):
        total += len(piece)
        if total <= limit:
            parts.append(piece)
    if total > limit:
        raise PayloadTooLargeError(f"The request body is larger than {limit} bytes.")
    return b"".join(parts)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sagewatch-serving"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        logger.debug("%s - %s", self.address_string(), format % args)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _route(self) -> str:
        return self.path.split("?", 1)[0]

    def _skip_body(self) -> None:
        """Read and drop a body that is not used (up to :data:`DRAIN_LIMIT`; beyond, close the connection).

        Closing a socket with unread data resets the connection, and the client may lose the answer.
        """
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                for _ in _chunks(self.rfile):
                    pass
                return
            length = int(self.headers.get("Content-Length") or 0)
        except (ModelServerError, ValueError):
            self.close_connection = True  # the unread body would be taken for the next request
            return
        if 0 <= length <= DRAIN_LIMIT:
            _discard(self.rfile, length)
        else:
            self.close_connection = True

    def _refuse(self) -> None:
        """404 for an unknown path, 405 with ``Allow`` for a method the route does not take."""
        self._skip_body()
        path = self._route()
        allowed = ROUTES.get(path)
        if allowed is None:
            self._send(Response.text(404, f"No route {self.command} {path}: use GET /ping or POST /invocations."))
            return
        self._send(Response.text(405, f"Method {self.command} is not allowed on {path}: use {' or '.join(allowed)}.",
                                 (("Allow", ", ".join(allowed)),)))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's errors, as ``text/plain`` like every other error of this server.

        It answers 501 for a method without a ``do_<METHOD>`` (``PUT``, ``DELETE``, ...): that is a 405 here.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED and getattr(self, "command", None):
            self._refuse()
            return
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._send(Response.text(code, message or explain or phrase))

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
        service = self.server.service
        path = self._route()
        if path == "/ping":
            self._skip_body()
            self._send(service.ping())
        elif path == "/execution-parameters":
            self._skip_body()
            self._send(service.execution_parameters())
        else:
            self._refuse()

    do_HEAD = do_GET  # noqa: N815 - the same answer without its body (see _send)

    def _read_body(self, limit: int | None = None) -> bytes:
        limit = self.server.max_payload_bytes if limit is None else limit
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _read_chunked(self.rfile, limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError as error:
            raise ModelServerError(f"Content-Length {length_header[:100]!r} is not a number.") from error
        if length < 0:
            raise ModelServerError(f"Content-Length {length} is negative.")
        if length > limit:
            if length <= DRAIN_LIMIT:
                _discard(self.rfile, length)  # so that the client, still sending, reads the 413
            raise PayloadTooLargeError(f"The request body has {length} bytes; this server accepts at most "
                                       f"{limit}.")
        return self.rfile.read(length)

    def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
        path = self._route()
        if path != "/invocations":
            self._refuse()
            return
        try:
            body = self._read_body()
        except ModelServerError as error:
            self.close_connection = True  # the unread body would be taken for the next request
            status = error.status if error.status != 500 else 400
            self._send(Response.text(status, str(error)))
            return
        try:
            body = decode_content_encoding(body, self.headers.get("Content-Encoding"),
                                           self.server.max_payload_bytes)
        except ModelServerError as error:
            self._send(Response.text(error.status, str(error)))
            return
        headers = {name: value for name, value in self.headers.items()}
        self._send(self.server.service.invoke(body, self.headers.get("Content-Type"), self.headers.get("Accept"),
                                              headers))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], service: ModelService, max_payload_bytes: int) -> None:
        self.service = service
        self.max_payload_bytes = max_payload_bytes
        super().__init__(address, _RequestHandler)

    def server_activate(self) -> None:
        super().server_activate()
        # Forked workers share this socket and all wake up for each connection; the ones that lose the race
        # must not block in accept() (where shutdown() could never stop them).
        self.socket.setblocking(False)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS look-up that can take seconds; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def make_http_server(host: str, port: int, service: ModelService, *,
                     max_payload_bytes: int | None = None) -> _HTTPServer:
    """Bind the HTTP server for *service* (``port=0`` picks a free port); it is not serving yet.

    *max_payload_bytes* defaults to the service's limit (the one ``/execution-parameters`` announces).
    """
    server_class = _HTTPServer6 if ":" in host else _HTTPServer
    limit = service.max_payload_bytes if max_payload_bytes is None else max_payload_bytes
    return server_class((host, port), service, limit)


@dataclass
class ServerHandle:
    """A model server running in a thread of this process (see :func:`start_server`)."""

    host: str
    port: int
    service: ModelService
    _server: _HTTPServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close the socket; idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout)
        self._server.server_close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(model_dir: str | Path, port: int = 0, *, host: str = LOCAL_HOST, code_dir: str | Path | None = None,
                 program: str = "inference.py", default_accept: str = JSON, predict_method: str = "predict",
                 max_payload_bytes: int = MAX_PAYLOAD_MB * MEGABYTE) -> ServerHandle:
    """Serve the model of *model_dir* from a thread of this process; returns once the model is loaded.

    The socket is bound first, so ``/ping`` answers 503 while the model loads. The script's folder is put
    on ``sys.path`` of this process and its module registered under its own name (``inference``), so run
    one model per process when scripts clash; :func:`sagewatch.serving.spawn_server` does.

    Parameters
    ----------
    model_dir : str or Path
        The extracted model artefacts.
    port : int
        0 picks a free port; read it from the handle.
    host : str
        Address to bind.
    code_dir, program, default_accept, predict_method, max_payload_bytes
        As for :class:`ModelService`.

    Returns
    -------
    ServerHandle
        With ``port``, ``url`` and ``stop()``; a context manager.

    Raises
    ------
    ModelLoadError
        If the model cannot be loaded (the server is stopped again).

    Examples
    --------
    >>> import tempfile, joblib, urllib.request
    >>> from sklearn.dummy import DummyRegressor
    >>> model = DummyRegressor(strategy="constant", constant=3.0).fit([[0]], [0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = joblib.dump(model, Path(folder) / "model.joblib")
    ...     with start_server(folder) as server:
    ...         request = urllib.request.Request(server.url + "/invocations", data=b"1\\n2",
    ...                                          headers={"Content-Type": "text/csv", "Accept": "text/csv"})
    ...         urllib.request.urlopen(request).read()
    b'3.0\\n3.0'
    """
    service = ModelService(Path(model_dir), code_dir=Path(code_dir) if code_dir is not None else None,
                           program=program, default_accept=default_accept, predict_method=predict_method,
                           max_payload_bytes=max_payload_bytes)
    server = make_http_server(host, port, service)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                              name=f"sagewatch-serving-{server.server_port}")
    thread.start()
    handle = ServerHandle(host, server.server_port, service, server, thread)
    try:
        service.load()
    except BaseException:
        handle.stop()
        raise
    return handle
