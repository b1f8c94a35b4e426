"""Reading the plain data a model file holds field by field: types and ranges, clear errors.

A model file's metadata and training state are whatever the file says; `Fields` turns one
mapping of it into checked Python values, and a wrong type, an absurd value or a missing field
becomes a CheckpointError that names the file and the field. Torch-free (metadata is read on the
app's GUI thread).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, NoReturn, overload

from samic_core.errors import CheckpointError

TEXT_MAX = 4096  # a path, a version, a date
NAME_MAX = 200  # a class name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MISSING: Any = object()
PLAIN_SCALARS = (type(None), bool, int, float, str)


def show(value: Any, limit: int = 40) -> str:
    """A value as an error shows it: its type and a short repr."""
    try:
        text = repr(value) if isinstance(value, PLAIN_SCALARS) else ""
    except ValueError:  # an int with more digits than Python converts to text
        text = "(too many digits)"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(value).__name__} {text}".strip()


class Fields:
    """Typed, range-checked values out of one mapping of a model file (`what` names it)."""

    def __init__(self, data: Any, path: Path | None, what: str) -> None:
        self.path = Path(path) if path is not None else Path("model file")
        self.what = what
        if not isinstance(data, dict):
            raise CheckpointError(self.path, f"{what} is not a mapping (got {show(data)})")
        self.data: dict[Any, Any] = data

    def fail(self, key: str, problem: str) -> NoReturn:
        """Raise the error that names the file, the field and what is wrong with it."""
        raise CheckpointError(self.path, f"{self.what} field {key!r}: {problem}")

    def only(self, known: Collection[str]) -> None:
        """Refuse fields this version does not know (a newer or a foreign file)."""
        for key in self.data:
            if key not in known:
                shown = key if isinstance(key, str) and len(key) <= 40 else show(key)
                raise CheckpointError(self.path, f"{self.what} has an unknown field {shown!r}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail(key, "is missing")
        return default

    @overload
    def integer(self, key: str, lo: int, hi: int, default: None, step: int = 1) -> int | None: ...

    @overload
    def integer(self, key: str, lo: int, hi: int, default: int = ..., step: int = 1) -> int: ...

    def integer(
        self, key: str, lo: int, hi: int, default: Any = _MISSING, step: int = 1
    ) -> int | None:
        """An int in [lo, hi] (a multiple of `step`); None only when None is the default."""
        v = self._get(key, default)
        if v is None and default is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi or v % step:
            every = f", a multiple of {step}" if step > 1 else ""
            self.fail(key, f"expected an integer from {lo} to {hi}{every}, got {show(v)}")
        return v

    def number(self, key: str, default: Any = _MISSING, finite: bool = False) -> float | None:
        """A float (an int is taken as one); None only when None is the default."""
        v = self._get(key, default)
        if v is None and default is None:
            return None
        try:
            x = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
        except OverflowError:  # an int beyond any float
            x = None
        if x is None or (finite and not math.isfinite(x)):
            self.fail(key, f"expected a {'finite ' if finite else ''}number, got {show(v)}")
        return x

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        v = self._get(key, default)
        if not isinstance(v, bool):
            self.fail(key, f"expected true or false, got {show(v)}")
        return v

    def text(
        self,
        key: str,
        default: Any = _MISSING,
        limit: int = TEXT_MAX,
        choices: Collection[str] | None = None,
        pattern: str | None = None,
    ) -> str:
        """A one-line string of at most `limit` characters, one of `choices` when given."""
        v = self._check_text(key, self._get(key, default), limit, choices)
        if pattern is not None and not re.fullmatch(pattern, v):
            self.fail(key, f"expected {pattern}, got {show(v)}")
        return v

    def _check_text(
        self, key: str, v: Any, limit: int, choices: Collection[str] | None = None
    ) -> str:
        """`v` when it is a non-empty one-line string of at most `limit` characters (one of
        `choices` when given); else the error that names the field."""
        if not isinstance(v, str) or not v:
            self.fail(key, f"expected a non-empty string, got {show(v)}")
        if len(v) > limit:
            self.fail(key, f"is {len(v):,} characters long (at most {limit:,})")
        if _CONTROL.search(v):
            self.fail(key, f"holds control characters ({show(v)})")
        if choices is not None and v not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}, got {show(v)}")
        return v

    def names(
        self,
        key: str,
        default: Any = _MISSING,
        most: int = 1000,
        limit: int = NAME_MAX,
        choices: Collection[str] | None = None,
    ) -> tuple[str, ...]:
        """A non-empty list of distinct one-line names."""
        v = self._get(key, default)
        if not isinstance(v, list | tuple) or not v or len(v) > most:
            self.fail(key, f"expected a list of 1 to {most} names, got {show(v)}")
        for item in v:
            self._check_text(key, item, limit, choices)
        if len(set(v)) != len(v):
            self.fail(key, "names a value twice")
        return tuple(v)

    def mapping(self, key: str, default: Any = _MISSING) -> dict[Any, Any]:
        v = self._get(key, default)
        if not isinstance(v, dict):
            self.fail(key, f"expected a mapping, got {show(v)}")
        return v

    def plain_mapping(self, key: str, default: Any = _MISSING, most: int = 200) -> dict[str, Any]:
        """A flat mapping of names to plain values or lists of them (a training config)."""
        v = self.mapping(key, default)
        if len(v) > most:
            self.fail(key, f"has {len(v):,} entries (at most {most})")
        for k, item in v.items():
            if not isinstance(k, str) or len(k) > 64:
                self.fail(key, f"has a key that is not a short name ({show(k)})")
            values: Iterable[Any] = item if isinstance(item, list | tuple) else (item,)
            if isinstance(item, list | tuple) and len(item) > 1000:
                self.fail(key, f"entry {k!r} holds {len(item):,} values (at most 1000)")
            for x in values:
                if not isinstance(x, PLAIN_SCALARS):
                    self.fail(key, f"entry {k!r} is not plain data ({show(x)})")
                if isinstance(x, str) and len(x) > TEXT_MAX:
                    self.fail(key, f"entry {k!r} is {len(x):,} characters long")
        return v
