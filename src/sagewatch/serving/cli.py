"""``python -m sagewatch.serving``: the command line of the model server.

With ``--model-dir`` or ``--model-data`` it serves that model (on 127.0.0.1 unless ``--host`` says
otherwise). With neither, it follows SageMaker's container contract (``docker run IMAGE serve``): the model
is in ``/opt/ml/model`` (relocated by ``SAGEWATCH_OPT_ML``), the port is ``SAGEMAKER_BIND_TO_PORT`` or
8080 and the server listens on every interface. The environment variables are listed in
:mod:`sagewatch.serving.settings`; options win over them.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from sagewatch.errors import InvalidParameterError
from sagewatch.serving.content import ENCODERS
from sagewatch.serving.handlers import PREDICT_METHODS
from sagewatch.serving.settings import (
    CONTAINER_HOST,
    DEFAULT_PORT,
    LOCAL_HOST,
    MAX_PAYLOAD_MB,
    OPT_ML,
    ServerSettings,
)

__all__ = ["build_parser", "main", "parse_settings"]

DESCRIPTION = """\
Serve a scikit-learn, XGBoost or inference.py model over SageMaker's inference-container HTTP contract
(GET /ping, POST /invocations, GET /execution-parameters). Without --model-dir or --model-data it runs
in container mode: model in $SAGEWATCH_OPT_ML/model (default /opt/ml/model), port
$SAGEMAKER_BIND_TO_PORT (default 8080), all interfaces."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (every option documented in its help)."""
    parser = argparse.ArgumentParser(prog="python -m sagewatch.serving", description=DESCRIPTION)
    parser.add_argument("command", nargs="?", choices=["serve"],
                        help="accepted for SageMaker's `docker run IMAGE serve`; serving is the only command")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model-dir", type=Path, help="folder with the extracted model artefacts")
    source.add_argument("--model-data", metavar="URI",
                        help="model.tar.gz to fetch first: s3://bucket/key (honours AWS_ENDPOINT_URL), "
                             "file:///path or a local path")
    parser.add_argument("--code-dir", metavar="DIR_OR_URI",
                        help="folder or sourcedir.tar.gz URI of the inference script (env "
                             "SAGEMAKER_SUBMIT_DIRECTORY; default: code/ of the model folder, else the folder)")
    parser.add_argument("--program", help="inference script file name (env SAGEMAKER_PROGRAM; default "
                                          "inference.py, used only when present)")
    parser.add_argument("--host", help=f"address to bind (env SAGEWATCH_SERVING_HOST; default {LOCAL_HOST}, "
                                       f"{CONTAINER_HOST} in container mode)")
    parser.add_argument("--port", type=int, help=f"port to listen on (env SAGEMAKER_BIND_TO_PORT; default "
                                                 f"{DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--workers", type=int, help="worker processes sharing the port (env "
                                                    "SAGEMAKER_MODEL_SERVER_WORKERS; default 1)")
    parser.add_argument("--default-accept", choices=list(ENCODERS),
                        help="response type for a missing or */* Accept (env "
                             "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT; default application/json)")
    parser.add_argument("--predict-method", choices=list(PREDICT_METHODS),
                        help="model method of the default predict_fn (env SAGEWATCH_PREDICT_METHOD; "
                             "default predict)")
    parser.add_argument("--max-payload-mb", type=float,
                        help=f"largest request body in MB, before and after Content-Encoding; larger bodies get "
                             f"413 and /execution-parameters announces it as MaxPayloadInMB (env "
                             f"SAGEWATCH_MAX_PAYLOAD_MB; default {MAX_PAYLOAD_MB}, InvokeEndpoint's limit; at least 1)")
    parser.add_argument("--log-level", default=None, choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="log level on stderr (env SAGEWATCH_LOG_LEVEL; default INFO)")
    return parser


def _number(value: str | None, name: str, kind: type[int] | type[float]) -> int | float | None:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None


def parse_settings(argv: Sequence[str], environ: Mapping[str, str]) -> ServerSettings:
    """Build the settings from the command line and the environment (options win).

    Raises
    ------
    SystemExit
        For command-line errors (argparse's exit status 2).
    InvalidParameterError
        For invalid values from the environment or out-of-range options.

    Examples
    --------
    >>> settings = parse_settings(["serve"], {"SAGEWATCH_OPT_ML": "/srv/ml", "SAGEMAKER_BIND_TO_PORT": "9000"})
    >>> settings.model_dir.as_posix(), settings.port, settings.host
    ('/srv/ml/model', 9000, '0.0.0.0')
    >>> parse_settings(["--model-dir", "m", "--port", "0"], {}).host
    '127.0.0.1'
    """
    args = build_parser().parse_args(list(argv))
    container = args.model_dir is None and args.model_data is None
    model_dir = args.model_dir
    if container:
        model_dir = Path(environ.get("SAGEWATCH_OPT_ML") or OPT_ML) / "model"
    port = args.port if args.port is not None else _number(environ.get("SAGEMAKER_BIND_TO_PORT"),
                                                            "SAGEMAKER_BIND_TO_PORT", int)
    workers = args.workers if args.workers is not None else _number(
        environ.get("SAGEMAKER_MODEL_SERVER_WORKERS"), "SAGEMAKER_MODEL_SERVER_WORKERS", int)
    payload_mb = args.max_payload_mb if args.max_payload_mb is not None else _number(
        environ.get("SAGEWATCH_MAX_PAYLOAD_MB"), "SAGEWATCH_MAX_PAYLOAD_MB", float)
    if payload_mb is not None and not math.isfinite(payload_mb):
        raise InvalidParameterError(f"the largest payload must be a finite number of MB, got {payload_mb}")
    program = args.program or environ.get("SAGEMAKER_PROGRAM") or None
    return ServerSettings(
        model_dir=model_dir,
        model_data=args.model_data,
        code_dir=args.code_dir or environ.get("SAGEMAKER_SUBMIT_DIRECTORY") or None,
        program=program or "inference.py",
        program_required=program is not None,
        host=args.host or environ.get("SAGEWATCH_SERVING_HOST") or (CONTAINER_HOST if container else LOCAL_HOST),
        port=int(port) if port is not None else DEFAULT_PORT,
        workers=int(workers) if workers is not None else 1,
        default_accept=args.default_accept or environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "application/json",
        predict_method=args.predict_method or environ.get("SAGEWATCH_PREDICT_METHOD") or "predict",
        max_payload_bytes=int((payload_mb if payload_mb is not None else MAX_PAYLOAD_MB) * 1024 * 1024),
        s3_endpoint_url=environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or None,
    )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: parse, configure logging on stderr, serve until SIGTERM; the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    environment = os.environ if environ is None else environ
    level = build_parser().parse_args(arguments).log_level or environment.get("SAGEWATCH_LOG_LEVEL") or "INFO"
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    try:
        settings = parse_settings(arguments, environment)
    except InvalidParameterError as error:
        print(f"python -m sagewatch.serving: error: {error}", file=sys.stderr)
        return 2
    from sagewatch.serving.run import run

    return run(settings)
