"""Every AWS error the emulator answers carries the code and HTTP status botocore's service models give it.

Two checks:

- each error class of ``localstack/errors.py``: its code is an error shape of the ``sagemaker`` or
  ``sagemaker-runtime`` model (status: the shape's ``httpStatusCode``; a shape without one is a client error,
  400, as the awsJson1_1 and restJson1 protocols define it) or one of AWS's common errors (status from
  :data:`COMMON_ERRORS`);
- each operation the emulator answers itself (the dispatch tables' own handlers): every error class its
  handler can reach (a static call graph over ``sagewatch.localstack``, built with ``ast``) is one the model
  lists for that operation or a common error, with the status that code has.

Errors with no AWS counterpart are listed in :data:`EMULATOR_ONLY`, each with why.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore.loaders
import pytest

import sagewatch.localstack as emulator_package
from sagewatch.localstack import errors
from sagewatch.localstack.runtime.provider import SageMakerRuntimeProvider
from sagewatch.localstack.sagemaker.plane import MonitoringPlane
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
from sagewatch.localstack.sagemaker.provider import SageMakerProvider

SERVICES = ("sagemaker", "sagemaker-runtime")
# The errors every AWS API can answer, with their status: the "Common Errors" page of the SageMaker API Reference
# (docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html, the same table for every AWS API).
# SageMaker's JSON API words the validation error ValidationException (its own answers, and moto's
# sagemaker/exceptions.py); the runtime's model lists ValidationError itself.
COMMON_ERRORS = {
    "AccessDeniedException": 400, "IncompleteSignature": 400, "InternalFailure": 500, "InvalidAction": 400,
    "InvalidClientTokenId": 403, "NotAuthorized": 400, "OptInRequired": 403, "RequestExpired": 400,
    "ServiceUnavailable": 503, "ThrottlingException": 400, "ValidationError": 400, "ValidationException": 400,
}
# sagewatch's own answers that AWS never gives, and why they may differ
EMULATOR_ONLY = {
    "NotEmulated": "an operation the emulator does not implement (AWS implements all of them); it answers as "
                   "LocalStack itself does for one: InternalFailure, 501",
}


# methods of dicts, lists, sets, strings, locks, threads and paths: a call of one of these on an object of
# unknown type is taken for the builtin's, not for an emulator method of the same name
CONTAINER_METHODS = frozenset(
    name for kind in (dict, list, set, str, bytes, Path) for name in dir(kind) if not name.startswith("_")) | {
    "acquire", "release", "wait", "notify", "notify_all", "start", "join", "is_set", "set", "clear", "result",
    "submit", "shutdown", "cancel", "put", "get_nowait", "put_nowait"}


@cache
def service_errors(service: str) -> tuple[dict[str, int], dict[str, frozenset[str]]]:
    """``({error code: HTTP status}, {operation: error codes it lists})`` of a botocore service model."""
    model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    statuses = {name: (shape.get("error") or {}).get("httpStatusCode", 500 if shape.get("fault") else 400)
                for name, shape in model["shapes"].items() if shape.get("exception")}
    operations = {name: frozenset(error["shape"] for error in operation.get("errors", []))
                  for name, operation in model["operations"].items()}
    return statuses, operations


def expected_status(code: str, service: str | None = None) -> int | None:
    """The status AWS answers *code* with (the service's model first, then the common errors)."""
    for name in ((service,) if service else SERVICES):
        status = service_errors(name)[0].get(code)
        if status is not None:
            return status
    return COMMON_ERRORS.get(code)


def class_mismatches(classes) -> list[str]:
    """The error classes whose code AWS does not have or whose status is not AWS's."""
    found = []
    for cls in classes:
        if cls.__name__ in EMULATOR_ONLY:
            continue
        status = expected_status(cls.code)
        if status is None:
            found.append(f"{cls.__name__}: code {cls.code} is in neither service model nor the common errors")
        elif status != cls.status_code:
            found.append(f"{cls.__name__}: {cls.code} answers {cls.status_code}, AWS answers {status}")
    return found


def error_classes() -> list[type]:
    return [cls for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.AwsError) and cls is not errors.AwsError]


# --- a static call graph over sagewatch.localstack ----------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    """An error class used in a function, and the status it is given there (``status_code=``), if any."""

    name: str
    status: int | None
    where: str


class CallGraph:
    """Functions of the emulator's modules, what each calls (resolved by name, over-approximated where the
    receiver's type is unknown) and the error classes each one uses."""

    def __init__(self) -> None:
        self.functions: dict[str, ast.AST] = {}          # "module:Qual.name" -> node
        self.by_line: dict[tuple[str, int], str] = {}     # (file, def line) -> key
        self.module_of: dict[str, str] = {}
        self.imports: dict[str, dict[str, str]] = {}      # module -> {local name: "module" or "module:name"}
        self.classes: dict[str, dict[str, str]] = {}      # "module:Class" -> {method: key}
        self.bases: dict[str, list[str]] = {}
        self.methods_named: dict[str, set[str]] = {}
        self.attribute_types: dict[str, dict[str, str]] = {}  # "module:Class" -> {self attribute: "module:Class"}
        self.error_names = {cls.__name__ for cls in error_classes()}
        for info in pkgutil.walk_packages(emulator_package.__path__, emulator_package.__name__ + "."):
            module = importlib.import_module(info.name)
            self._index(info.name, Path(inspect.getfile(module)))

    def _index(self, module: str, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    imports[alias.asname or alias.name] = f"{node.module}:{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imports[alias.asname or alias.name.split(".")[0]] = alias.name
        self.imports[module] = imports

        def visit(body, prefix: str, cls: str | None) -> None:
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    key = f"{module}:{prefix}{node.name}"
                    self.functions[key] = node
                    self.module_of[key] = module
                    self.by_line[(str(path), node.lineno)] = key
                    for decorator in node.decorator_list:
                        self.by_line[(str(path), decorator.lineno)] = key
                    if cls is not None:
                        self.classes[cls][node.name] = key
                        self.methods_named.setdefault(node.name, set()).add(key)
                    visit(node.body, f"{prefix}{node.name}.<locals>.", None)
                elif isinstance(node, ast.ClassDef):
                    name = f"{module}:{prefix}{node.name}"
                    self.classes[name] = {}
                    self.bases[name] = [ast.unparse(base) for base in node.bases]
                    self.attribute_types[name] = self._attribute_types(module, node)
                    visit(node.body, f"{prefix}{node.name}.", name)

        visit(tree.body, "", None)

    def _attribute_types(self, module: str, cls: ast.ClassDef) -> dict[str, str]:
        """``self.x = SomeClass(...)``, ``self.x = parameter`` annotated with a class, ``x: SomeClass``: the
        classes (names as written; resolved when used) of the instance's attributes."""
        types: dict[str, str] = {}
        for node in cls.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                types[node.target.id] = ast.unparse(node.annotation)
        for method in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            if method.returns is not None and any(ast.unparse(d) == "property" for d in method.decorator_list):
                types[method.name] = ast.unparse(method.returns).split("|")[0].strip().strip("'\"")
            annotations = {a.arg: ast.unparse(a.annotation) for a in method.args.args + method.args.kwonlyargs
                           if a.annotation is not None}
            for node in ast.walk(method):
                if not isinstance(node, ast.Assign):
                    continue
                targets = [t for t in node.targets if isinstance(t, ast.Attribute)
                           and isinstance(t.value, ast.Name) and t.value.id == "self"]
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for target in targets:
                    for value in values[:1] if len(values) == 1 else []:
                        self._note_type(types, target.attr, value, annotations)
                for target in node.targets:
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        for one, value in zip(target.elts, node.value.elts):
                            if isinstance(one, ast.Attribute) and isinstance(one.value, ast.Name) \
                                    and one.value.id == "self":
                                self._note_type(types, one.attr, value, annotations)
        return types

    @staticmethod
    def _note_type(types: dict[str, str], attribute: str, value: ast.AST, annotations: dict[str, str]) -> None:
        if isinstance(value, ast.BoolOp):  # "settings or ProcessingSettings.from_environ()"
            value = value.values[-1]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            types.setdefault(attribute, value.func.id)
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and isinstance(value.func.value, ast.Name):
            types.setdefault(attribute, value.func.value.id)  # a factory classmethod: Cls.from_x()
        elif isinstance(value, ast.Name) and value.id in annotations:
            types.setdefault(attribute, annotations[value.id].split("|")[0].strip().strip("'\""))

    def key_of(self, function) -> str | None:
        code = getattr(function, "__code__", None)
        return self.by_line.get((code.co_filename, code.co_firstlineno)) if code else None

    def _class_of(self, key: str) -> str | None:
        """The class whose ``self`` a function sees (a closure inside a method sees the method's)."""
        module, qual = key.split(":")
        parts = qual.split(".")
        if "<locals>" in parts:
            parts = parts[:parts.index("<locals>")]
        cls = f"{module}:{'.'.join(parts[:-1])}"
        return cls if len(parts) > 1 and cls in self.classes else None

    def _methods(self, cls: str, name: str) -> set[str]:
        found = set()
        if name in self.classes.get(cls, {}):
            found.add(self.classes[cls][name])
        module = cls.split(":")[0]
        for base in self.bases.get(cls, []):
            target = self._resolve_name(module, base)
            if target in self.classes:
                found |= self._methods(target, name)
        return found

    def _resolve_name(self, module: str, name: str) -> str | None:
        if f"{module}:{name}" in self.functions or f"{module}:{name}" in self.classes:
            return f"{module}:{name}"
        return self.imports.get(module, {}).get(name)

    def _targets(self, key: str, call: ast.Call) -> set[str]:
        module, func = self.module_of[key], call.func
        if isinstance(func, ast.Name):
            target = self._resolve_name(module, func.id)
            if target in self.functions:
                return {target}
            if target in self.classes:
                return self._methods(target, "__init__") | self._methods(target, "__post_init__")
            return set()
        if not isinstance(func, ast.Attribute):
            return set()
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            cls = self._class_of(key)
            own = self._methods(cls, func.attr) if cls else set()
            if own:
                return own
        if isinstance(receiver, ast.Name):
            target = self._resolve_name(module, receiver.id)
            if target in self.classes:
                return self._methods(target, func.attr)
            if target is not None and ":" not in target:  # a module
                candidate = f"{target}:{func.attr}"
                return {candidate} if candidate in self.functions else set()
            if target is not None:
                return set()
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) \
                and receiver.value.id == "self":
            cls = self._class_of(key)
            written = self.attribute_types.get(cls, {}).get(receiver.attr) if cls else None
            target = self._resolve_name(module, written) if written else None
            if target in self.classes:
                return self._methods(target, func.attr)
        if func.attr in CONTAINER_METHODS:
            return set()
        # an object of unknown type: any emulator method of that name (over-approximated on purpose)
        return set(self.methods_named.get(func.attr, ()))

    def raised_in(self, key: str) -> list[Raised]:
        node, module = self.functions[key], self.module_of[key]
        found = []
        for sub in ast.walk(node):
            name = None
            if isinstance(sub, ast.Name):
                name = sub.id
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                name = sub.value.id
            if name is None:
                continue
            target = self._resolve_name(module, name) or ""
            if target.startswith("sagewatch.localstack.errors:") and target.split(":")[1] in self.error_names:
                found.append(Raised(target.split(":")[1], None, f"{key} line {sub.lineno}"))
        for sub in ast.walk(node):  # an explicit status_code= overrides the class's
            if isinstance(sub, ast.Call) and any(k.arg == "status_code" for k in sub.keywords):
                name = sub.func.id if isinstance(sub.func, ast.Name) else None
                status = next((k.value.value for k in sub.keywords if k.arg == "status_code"
                               and isinstance(k.value, ast.Constant)), -1)
                if name and (self._resolve_name(module, name) or "").startswith("sagewatch.localstack.errors:"):
                    found.append(Raised(name, status, f"{key} line {sub.lineno}"))
        return found

    def reachable(self, roots: set[str]) -> set[str]:
        seen, todo = set(), list(roots)
        while todo:
            key = todo.pop()
            if key in seen or key not in self.functions:
                continue
            seen.add(key)
            for sub in ast.walk(self.functions[key]):
                if isinstance(sub, ast.Call):
                    todo.extend(self._targets(key, sub))
        return seen


def _roots(handler, graph: CallGraph) -> set[str]:
    """The emulator functions behind a dispatch-table handler (bound methods, and the closures that wrap them)."""
    found, todo, seen = set(), [handler], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        function = getattr(item, "__func__", item)
        key = graph.key_of(function)
        if key is not None:
            found.add(key)
        for cell in getattr(function, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if callable(value) and not isinstance(value, type):
                todo.append(value)
    return found


@pytest.fixture(scope="module")
def graph():
    return CallGraph()


@pytest.fixture(scope="module")
def own_handlers(tmp_path_factory):
    plane = MonitoringPlane(ProcessingSettings(), aws_factory=lambda account, region: None)
    tables = {"sagemaker": SageMakerProvider(plane).overrides(), "sagemaker-runtime": SageMakerRuntimeProvider(
        hosting=object()).overrides()}
    return [(service, operation, handler) for service, table in tables.items() for operation, handler in table.items()]


def test_every_error_class_has_awss_code_and_status():
    assert {cls.__name__ for cls in error_classes()} >= {"ValidationException", "ResourceNotFound", "ResourceInUse",
                                                         "ValidationError", "ModelError"}
    assert class_mismatches(error_classes()) == []


def test_a_wrong_status_is_caught():
    planted = type("ModelError", (errors.ModelError,), {"status_code": 500})
    unknown = type("Unknown", (errors.AwsError,), {"code": "NoSuchThing", "status_code": 400})
    assert class_mismatches([planted, unknown]) == [
        "ModelError: ModelError answers 500, AWS answers 424",
        "Unknown: code NoSuchThing is in neither service model nor the common errors"]


def test_the_call_graph_sees_the_handlers_errors(graph, own_handlers):
    reached = {}
    for service, operation, handler in own_handlers:
        keys = graph.reachable(_roots(handler, graph))
        reached[(service, operation)] = {r.name for key in keys for r in graph.raised_in(key)}
    # a few the code plainly raises: the analysis must see them, or the next test proves nothing
    assert {"ValidationError", "ModelError"} <= reached[("sagemaker-runtime", "InvokeEndpoint")]
    assert "ResourceNotFound" in reached[("sagemaker", "DescribeProcessingJob")]
    assert "ResourceInUse" in reached[("sagemaker", "CreateMonitoringSchedule")]
    assert "ValidationException" in reached[("sagemaker", "CreateEndpoint")]
    assert len(own_handlers) > 30


def test_every_operation_answers_only_errors_its_model_lists(graph, own_handlers):
    wrong = []
    for service, operation, handler in own_handlers:
        listed = service_errors(service)[1][operation]
        for key in graph.reachable(_roots(handler, graph)):
            for raised in graph.raised_in(key):
                if raised.name in EMULATOR_ONLY:
                    continue
                cls = getattr(errors, raised.name)
                status = raised.status if raised.status is not None else cls.status_code
                if cls.code not in listed and cls.code not in COMMON_ERRORS:
                    wrong.append(f"{service} {operation}: {cls.code} ({raised.where}) is not an error of the "
                                 f"operation ({sorted(listed)}) nor a common error")
                elif status != expected_status(cls.code, service):
                    wrong.append(f"{service} {operation}: {cls.code} answers {status} ({raised.where}), AWS "
                                 f"answers {expected_status(cls.code, service)}")
    assert sorted(set(wrong)) == []
