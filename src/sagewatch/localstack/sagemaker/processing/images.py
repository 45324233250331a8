"""Which local command stands in for a processing job's container image.

- The Model Monitor analyzer of every region, ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/
  sagemaker-model-monitor-analyzer[:tag|@digest]`` (contract §10), and sagewatch's own analyzer image, any
  reference whose repository is ``sagewatch-analyzer`` (any registry, any tag), run
  ``<this python> -m sagewatch.job``.
- The ground-truth merger of model-quality executions, any image whose repository is
  ``sagemaker-model-monitor-groundtruth-merger`` (contract §2.3), runs ``<this python> -m sagewatch.job.merge``.
- SageMaker Clarify's processing image, any image whose repository is ``sagemaker-clarify-processing``
  (``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-clarify-processing:1.0`` of every region, any registry or
  tag; contract §7.1, §10), runs ``<this python> -m sagewatch.clarify_container``.
- ``SAGEWATCH_IMAGE_MAP`` may add images: a JSON object, or the path of a file holding one, mapping an image to
  a command. A key is a repository name (``my-processor``: any registry and tag), or a glob matched against
  the whole image URI (``*.amazonaws.com/my-processor:1.*``). A value is a command line (a string, split as
  a shell would, or a list); a first word ``python``/``python3`` means LocalStack's own interpreter, and the
  value ``sagewatch-analyzer`` means the analyzer. Example::

      SAGEWATCH_IMAGE_MAP='{"my-processor": "python -m my_package.process"}'

- Every other image: the job fails, and its FailureReason names the image and this setting.

``AppSpecification.ContainerEntrypoint`` replaces the mapped command (as it replaces a Docker ENTRYPOINT);
a first word ``python``/``python3`` again means LocalStack's interpreter, and the analyzer's own entry points
(``/opt/program/analyze``, ``sagewatch-job``) mean the analyzer. ``ContainerArguments`` are appended. Words
naming ``/opt/ml/...`` are relocated to the job's folder, as ``SAGEWATCH_OPT_ML`` relocates the analyzer.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ImageMap", "ImageError", "analyzer_command", "merger_command", "clarify_command", "is_analyzer_image",
           "is_merger_image", "is_clarify_image", "is_builtin_image", "repository_name", "resolve_command"]

ENV_IMAGE_MAP = "SAGEWATCH_IMAGE_MAP"
ANALYZER_ALIAS = "sagewatch-analyzer"
MERGER_REPOSITORY = "sagemaker-model-monitor-groundtruth-merger"
CLARIFY_REPOSITORY = "sagemaker-clarify-processing"
CONTAINER_ROOT = "/opt/ml"
_ANALYZER_URI = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/sagemaker-model-monitor-analyzer"
    r"(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?$"
)
_ANALYZER_ENTRY_POINTS = frozenset({"/opt/program/analyze", "analyze", "sagewatch-job", "sagewatch.job"})
_PYTHON_WORD = re.compile(r"^python(3(\.\d+)?)?$")


class ImageError(ValueError):
    """The image (or its entry point) cannot run on this host; the message says why and what to do."""


def analyzer_command() -> list[str]:
    """``[<this python>, "-m", "sagewatch.job"]``."""
    return [sys.executable, "-m", "sagewatch.job"]


def merger_command() -> list[str]:
    """``[<this python>, "-m", "sagewatch.job.merge"]``."""
    return [sys.executable, "-m", "sagewatch.job.merge"]


def clarify_command() -> list[str]:
    """``[<this python>, "-m", "sagewatch.clarify_container"]``."""
    return [sys.executable, "-m", "sagewatch.clarify_container"]


def is_clarify_image(image_uri: str) -> bool:
    """True for SageMaker Clarify's processing image of any region, registry or tag.

    Examples
    --------
    >>> is_clarify_image("205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0")
    True
    >>> is_clarify_image("306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0")
    True
    >>> is_clarify_image("452307495513.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing")
    True
    >>> is_clarify_image("localhost:5000/sagemaker-clarify-processing@sha256:" + "0" * 64)
    True
    >>> is_clarify_image("205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing-extra:1.0")
    False
    """
    return repository_name(image_uri) == CLARIFY_REPOSITORY


def is_builtin_image(image_uri: str) -> bool:
    """True for the images sagewatch runs itself (analyzer, merger, Clarify), whatever ``SAGEWATCH_IMAGE_MAP`` says.

    >>> is_builtin_image("205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0")
    True
    >>> is_builtin_image("my-processor:1")
    False
    """
    return is_analyzer_image(image_uri) or is_merger_image(image_uri) or is_clarify_image(image_uri)


def is_merger_image(image_uri: str) -> bool:
    """True for the ground-truth merger image of any registry.

    Examples
    --------
    >>> is_merger_image("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger")
    True
    >>> is_merger_image("sagewatch-analyzer")
    False
    """
    return repository_name(image_uri) == MERGER_REPOSITORY


def repository_name(image_uri: str) -> str:
    """The last path segment of an image reference, without tag or digest.

    Examples
    --------
    >>> repository_name("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer")
    'sagemaker-model-monitor-analyzer'
    >>> repository_name("localhost:5000/team/sagewatch-analyzer:0.1")
    'sagewatch-analyzer'
    >>> repository_name("sagewatch-analyzer@sha256:" + "0" * 64)
    'sagewatch-analyzer'
    """
    reference = image_uri.strip().split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def is_analyzer_image(image_uri: str) -> bool:
    """True for the Model Monitor analyzer of any region and for ``sagewatch-analyzer`` images.

    Examples
    --------
    >>> is_analyzer_image("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer")
    True
    >>> is_analyzer_image("453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer:latest")
    True
    >>> is_analyzer_image("my-registry.example.com/sagewatch-analyzer:1.0")
    True
    >>> is_analyzer_image("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
    False
    """
    text = image_uri.strip()
    return bool(_ANALYZER_URI.match(text)) or repository_name(text) == ANALYZER_ALIAS


@dataclass(frozen=True)
class ImageMap:
    """Extra images from ``SAGEWATCH_IMAGE_MAP``: ``{repository name or URI glob: command}``."""

    entries: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ImageMap:
        """Read ``SAGEWATCH_IMAGE_MAP`` (JSON, or a path to a JSON file); unset means no extra images.

        Raises
        ------
        ImageError
            If the setting is not a JSON object of commands.

        Examples
        --------
        >>> ImageMap.from_environ({"SAGEWATCH_IMAGE_MAP": '{"my-proc": "python -m x"}'}).entries[0][0]
        'my-proc'
        """
        raw = environ.get(ENV_IMAGE_MAP, "").strip()
        if not raw:
            return cls()
        text = raw
        if not raw.startswith(("{", "[")):
            try:
                text = Path(raw).expanduser().read_text(encoding="utf-8")
            except OSError as error:
                raise ImageError(f"{ENV_IMAGE_MAP}={raw!r} is neither a JSON object nor a readable file: "
                                 f"{error}") from error
        try:
            mapping = json.loads(text)
        except ValueError as error:
            raise ImageError(f"{ENV_IMAGE_MAP} is not valid JSON: {error}") from error
        if not isinstance(mapping, dict):
            raise ImageError(f"{ENV_IMAGE_MAP} must be a JSON object mapping images to commands")
        entries = []
        for key, value in mapping.items():
            words = shlex.split(value) if isinstance(value, str) else value
            if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
                raise ImageError(f"{ENV_IMAGE_MAP}[{key!r}] must be a command line (a string or a list of "
                                 f"strings), got {value!r}")
            entries.append((str(key), tuple(words)))
        return cls(tuple(entries))

    def lookup(self, image_uri: str) -> tuple[str, ...] | None:
        """The mapped command of *image_uri*, or None."""
        repository = repository_name(image_uri)
        for key, command in self.entries:
            if key == image_uri or key == repository or fnmatch.fnmatchcase(image_uri, key):
                return command
        return None


def relocate(word: str, opt_ml: Path) -> str:
    """Map a ``/opt/ml/...`` word onto the job's folder; other words stay.

    Examples
    --------
    >>> relocate("/opt/ml/processing/input/code/run.py", Path("/jobs/j1"))
    '/jobs/j1/processing/input/code/run.py'
    >>> relocate("--flag", Path("/jobs/j1"))
    '--flag'
    """
    if word == CONTAINER_ROOT or word.startswith(CONTAINER_ROOT + "/"):
        return str(opt_ml / word[len(CONTAINER_ROOT):].lstrip("/"))
    return word


def _entry_point(words: Sequence[str], opt_ml: Path, image_uri: str) -> list[str]:
    first = words[0]
    if first in _ANALYZER_ENTRY_POINTS or first == ANALYZER_ALIAS:
        return analyzer_command() + [relocate(w, opt_ml) for w in words[1:]]
    if _PYTHON_WORD.match(os.path.basename(first)):
        return [sys.executable] + [relocate(w, opt_ml) for w in words[1:]]
    located = relocate(first, opt_ml)
    if os.path.isabs(located) and os.access(located, os.X_OK):
        return [located] + [relocate(w, opt_ml) for w in words[1:]]
    from shutil import which

    found = which(first)
    if found is None:
        raise ImageError(f"The entry point {first!r} of image {image_uri} cannot run on this host: sagewatch runs "
                         "processing containers as local processes and found no such program. Use a python "
                         "entry point, or map the image with SAGEWATCH_IMAGE_MAP.")
    return [found] + [relocate(w, opt_ml) for w in words[1:]]


def resolve_command(app_specification: Mapping[str, object], image_map: ImageMap, opt_ml: Path) -> list[str]:
    """The local command line of a processing job's ``AppSpecification``.

    Parameters
    ----------
    app_specification : mapping
        ``ImageUri`` and optional ``ContainerEntrypoint`` / ``ContainerArguments``.
    image_map : ImageMap
        Images added through ``SAGEWATCH_IMAGE_MAP``.
    opt_ml : Path
        The job's folder standing in for ``/opt/ml``.

    Raises
    ------
    ImageError
        If the image is neither an analyzer image nor mapped, or its entry point cannot run here.

    Examples
    --------
    >>> cmd = resolve_command({"ImageUri": "sagewatch-analyzer:latest", "ContainerArguments": ["--x"]},
    ...                       ImageMap(), Path("/jobs/j1"))
    >>> cmd[1:]
    ['-m', 'sagewatch.job', '--x']
    >>> resolve_command({"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
    ...                 ImageMap(), Path("/jobs/j1"))[1:]
    ['-m', 'sagewatch.clarify_container']
    """
    image_uri = str(app_specification.get("ImageUri") or "").strip()
    entry = list(app_specification.get("ContainerEntrypoint") or [])
    arguments = [relocate(str(word), opt_ml) for word in app_specification.get("ContainerArguments") or []]
    if is_analyzer_image(image_uri):
        command = analyzer_command()
    elif is_merger_image(image_uri):
        command = merger_command()
    elif is_clarify_image(image_uri):
        command = clarify_command()
    else:
        mapped = image_map.lookup(image_uri)
        if mapped is None:
            raise ImageError(
                f"Image {image_uri} is not supported by sagewatch's local emulator: it runs the SageMaker Model "
                "Monitor analyzer images (<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-model-monitor-analyzer) "
                f"and {ANALYZER_ALIAS} images as local processes. Map other images to a local command with "
                f"{ENV_IMAGE_MAP}."
            )
        command = _entry_point(mapped, opt_ml, image_uri)
    if entry:
        command = _entry_point([str(word) for word in entry], opt_ml, image_uri)
    return command + arguments
