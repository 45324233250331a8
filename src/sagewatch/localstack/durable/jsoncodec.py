"""The JSON form of the emulator's state objects: tagged values and a registry of persisted classes.

JSON has no datetimes, tuples, sets or objects, so those are written as one-key objects whose key starts with
``$`` (``{"$datetime": "2024-05-01T11:00:00.123456+00:00"}``); plain request dicts never have such keys (AWS
member names, tag keys and environment names cannot start with ``$``; a dict that does is written as
``{"$map": [[key, value], ...]}``). A dataclass is written as ``{"$object": <registered name>, "fields": {...}}``
and read back only if its name was registered with :func:`register`: nothing in a state file can name a class
to import (the reason this is not pickle). Fields registered as *transient* (events, locks, listeners) are not
written and get their defaults when the object is read.

A new kind of record (a new ``RegionState`` field) needs one :func:`register` line, in
:mod:`sagewatch.localstack.durable.records`.

Examples
--------
>>> from datetime import datetime, timezone
>>> data = encode({"when": datetime(2024, 5, 1, 11, tzinfo=timezone.utc), "hours": (1, 2), "seen": {3}})
>>> data["when"], data["hours"], data["seen"]
({'$datetime': '2024-05-01T11:00:00+00:00'}, {'$tuple': [1, 2]}, {'$set': [3]})
>>> decode(data)["hours"]
(1, 2)
"""

from __future__ import annotations

import base64
import dataclasses
import json
import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sagewatch.errors import SagewatchError

__all__ = ["Encoder", "StateCodecError", "decode", "encode", "register", "registered"]


class StateCodecError(SagewatchError, ValueError):
    """A value cannot be written to, or read from, the emulator's state file; the message names it."""


@dataclasses.dataclass(frozen=True)
class _Registration:
    cls: type
    transient: frozenset[str]
    cached: bool = False
    names: tuple[str, ...] = ()
    """The fields that are written, in declaration order."""

    @property
    def values(self) -> Callable[[Any], tuple[Any, ...]]:
        getter = operator.attrgetter(*self.names)
        return getter if len(self.names) > 1 else (lambda value: (getter(value),))


_REGISTRY: dict[str, _Registration] = {}
_NAMES: dict[type, str] = {}
_VALUES: dict[str, Callable[[Any], tuple[Any, ...]]] = {}
_SIZED = (dict, list, set, frozenset)


def register(cls: type, *, transient: Iterable[str] = (), name: str | None = None, cached: bool = False) -> type:
    """Allow dataclass *cls* in the state file; *transient* fields are not written (they must have defaults).

    *cached*: an :class:`Encoder` reuses the encoding of an instance until one of its fields is reassigned or a
    container field changes size. Only for records whose nested values are replaced, never edited in place.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__qualname__} is not a dataclass")
    key = name or cls.__qualname__
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(transient) - set(fields))
    if unknown:
        raise TypeError(f"{cls.__qualname__} has no field(s) {unknown}")
    for item in transient:
        if fields[item].default is dataclasses.MISSING and fields[item].default_factory is dataclasses.MISSING:
            raise TypeError(f"transient field {cls.__qualname__}.{item} needs a default")
    if _REGISTRY.get(key, _Registration(cls, frozenset())).cls is not cls:
        raise TypeError(f"another class is registered as {key!r}")
    names = tuple(name for name in fields if name not in set(transient))
    _REGISTRY[key] = _Registration(cls, frozenset(transient), cached, names)
    _VALUES[key] = _REGISTRY[key].values
    _NAMES[cls] = key
    return cls


def registered() -> dict[str, type]:
    """The registered classes by name."""
    return {name: item.cls for name, item in _REGISTRY.items()}


def encode(value: Any, where: str = "state") -> Any:
    """A JSON-serializable form of *value*; :class:`StateCodecError` names the first value that has none."""
    return Encoder(cache=False).encode(value, where)


class Encoder:
    """:func:`encode` with a cache of the records registered ``cached=True`` (a state with thousands of finished
    executions is encoded again in a few milliseconds); the unchanged records' encodings are the same objects,
    so two documents compare equal by identity. Not thread-safe: one encoder per writer."""

    def __init__(self, cache: bool = True) -> None:
        self._use_cache = cache
        self._cache: dict[int, tuple[Any, tuple[Any, ...], Any]] = {}
        self._seen: set[int] = set()

    def document(self, build: Any) -> Any:
        """``build(encode)`` with entries of records no longer in the state dropped from the cache afterwards."""
        self._seen = set()
        result = build(self.encode)
        for key in set(self._cache) - self._seen:
            del self._cache[key]
        return result

    def encode(self, value: Any, where: str = "state") -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, dict):
            items = list(value.items())  # one C-level copy: safe while another thread adds entries
            if all(isinstance(key, str) and not key.startswith("$") for key, _ in items):
                return {key: self.encode(item, f"{where}.{key}") for key, item in items}
            return {"$map": [[self.encode(key, where), self.encode(item, f"{where}[{key!r}]")] for key, item in items]}
        if isinstance(value, list):
            return [self.encode(item, f"{where}[{index}]") for index, item in enumerate(list(value))]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(item, f"{where}[{index}]") for index, item in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            members = [self.encode(item, where) for item in list(value)]
            return {"$set": sorted(members, key=_set_order)}
        if isinstance(value, bytes):
            return {"$bytes": base64.b64encode(value).decode("ascii")}
        name = _NAMES.get(type(value))
        if name is None:
            raise StateCodecError(f"{where}: a {type(value).__module__}.{type(value).__qualname__} cannot be saved in "
                                  "the emulator's state file; register its class in "
                                  "sagewatch.localstack.durable.records")
        registration = _REGISTRY[name]
        names, values = registration.names, _VALUES[name](value)
        if not (self._use_cache and registration.cached):
            return {"$object": name, "fields": {key: self.encode(item, f"{where}.{key}")
                                                 for key, item in zip(names, values)}}
        token = (*map(id, values), *[len(item) for item in values if isinstance(item, _SIZED)])
        self._seen.add(id(value))
        entry = self._cache.get(id(value))
        if entry is not None and entry[0] is value and entry[1] == token:
            return entry[2]
        encoded = {"$object": name, "fields": {key: self.encode(item, f"{where}.{key}")
                                               for key, item in zip(names, values)}}
        self._cache[id(value)] = (value, token, encoded)  # the record is held: its id cannot be reused meanwhile
        return encoded


def decode(data: Any, where: str = "state") -> Any:
    """The value :func:`encode` wrote; :class:`StateCodecError` names what cannot be read."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(item, f"{where}[{index}]") for index, item in enumerate(data)]
    if not isinstance(data, dict):
        raise StateCodecError(f"{where}: unexpected JSON value {data!r}")
    tag = next(iter(data), None) if data else None
    if tag is None or not tag.startswith("$"):
        return {key: decode(item, f"{where}.{key}") for key, item in data.items()}
    body = data[tag]
    try:
        if tag == "$datetime":
            return datetime.fromisoformat(body)
        if tag == "$tuple":
            return tuple(decode(item, where) for item in body)
        if tag == "$set":
            return {decode(item, where) for item in body}
        if tag == "$bytes":
            return base64.b64decode(body.encode("ascii"), validate=True)
        if tag == "$map":
            return {decode(key, where): decode(item, where) for key, item in body}
        if tag == "$object":
            return _decode_object(body, data.get("fields"), where)
    except StateCodecError:
        raise
    except (TypeError, ValueError, AttributeError) as error:
        raise StateCodecError(f"{where}: unreadable {tag} value: {error}") from error
    raise StateCodecError(f"{where}: unknown tag {tag!r}")


def _set_order(member: Any) -> str:
    """A deterministic order of encoded set members (a set's own order depends on hashing)."""
    if isinstance(member, dict) and len(member) == 1 and "$datetime" in member:
        return member["$datetime"]  # the common case, a schedule's scheduled times: no dumps per member
    return json.dumps(member, sort_keys=True)


def _decode_object(name: Any, fields: Any, where: str) -> Any:
    registration = _REGISTRY.get(name) if isinstance(name, str) else None
    if registration is None:
        raise StateCodecError(f"{where}: {name!r} is not a class the emulator's state file may hold")
    if not isinstance(fields, dict):
        raise StateCodecError(f"{where}: {name} has no fields")
    declared = {f.name: f for f in dataclasses.fields(registration.cls)}
    unknown = sorted(set(fields) - set(declared))
    if unknown:
        raise StateCodecError(f"{where}: {name} has no field(s) {unknown}")
    values = {key: decode(item, f"{where}.{key}") for key, item in fields.items()}
    missing = sorted(key for key, f in declared.items() if key not in values and f.init
                     and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    if missing:
        raise StateCodecError(f"{where}: {name} lacks field(s) {missing}")
    init = {key: value for key, value in values.items() if declared[key].init}
    instance = registration.cls(**init)
    for key, value in values.items():
        if not declared[key].init:
            object.__setattr__(instance, key, value)
    return instance
