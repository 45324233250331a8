"""A context block being read: typed getters that name the prop and its context key in every error, and
tracking of the keys used, so that a typo is reported instead of ignored."""

from __future__ import annotations

from typing import Any, Mapping

from stacks.config import prop_error

__all__ = ["ContextBlock"]


class ContextBlock:
    """A context block being read; tracks used keys so that typos are reported, not ignored."""

    def __init__(self, raw: Any, prop: str, key: str) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise prop_error(prop, key, f"must be an object, got {type(raw).__name__}")
        self.raw, self.prop, self.key, self.used = dict(raw), prop, key, set()

    def _where(self, name: str, attr: str) -> tuple[str, str]:
        return f"{self.prop}.{attr}", f"{self.key}.{name}" if self.key else name

    def get(self, name: str, default: Any = None) -> Any:
        self.used.add(name)
        return self.raw.get(name, default)

    def string(self, name: str, attr: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.get(name, default)
        prop, key = self._where(name, attr)
        if value is None or value == "":
            if required:
                raise prop_error(prop, key, "is required")
            return default or None
        if not isinstance(value, str):
            raise prop_error(prop, key, f"must be a string, got {value!r}")
        return value.strip()

    def integer(self, name: str, attr: str, default: int, *, low: int, high: int) -> int:
        value = self.get(name, default)
        prop, key = self._where(name, attr)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)  # -c key=value gives strings
        if isinstance(value, bool) or not isinstance(value, int):
            raise prop_error(prop, key, f"must be an integer, got {value!r}")
        if not low <= value <= high:
            raise prop_error(prop, key, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, name: str, attr: str, default: float, *, low: float | None = None,
               positive: bool = False) -> float:
        value = self.get(name, default)
        prop, key = self._where(name, attr)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise prop_error(prop, key, f"must be a number, got {value!r}")
        if positive and value <= 0:
            raise prop_error(prop, key, f"must be > 0, got {value}")
        if low is not None and value < low:
            raise prop_error(prop, key, f"must be >= {low}, got {value}")
        return float(value)

    def boolean(self, name: str, attr: str, default: bool) -> bool:
        value = self.get(name, default)
        prop, key = self._where(name, attr)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise prop_error(prop, key, f"must be true or false, got {value!r}")
        return value

    def strings(self, name: str, attr: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(name, list(default))
        prop, key = self._where(name, attr)
        if isinstance(value, str):  # -c alertEmails=a@x.org,b@y.org
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise prop_error(prop, key, f"must be a list of strings, got {value!r}")
        return tuple(v.strip() for v in value)

    def block(self, name: str, prop: str) -> ContextBlock:
        return ContextBlock(self.get(name), prop, f"{self.key}.{name}" if self.key else name)

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise prop_error(self.prop, self.key or "<root>", f"has unknown keys {unknown}; known: {sorted(self.used)}")
