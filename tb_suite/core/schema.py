"""Checks of a record's meta against what a family's routes and tab read from it.

A family plugin lists its meta fields once (`FamilyPlugin.check_meta`); a meta that does not match, from a
damaged file or a foreign writer, raises `codec.CodecError` naming the field, and the route answers it as a
damaged record instead of failing inside the handler.

    >>> spec = {"layers": integer(minimum=1), "tokens": list_of(text(), length="layers")}
    >>> check({"layers": 2, "tokens": ["a", "b"]}, spec)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from tb_suite.core.codec import CodecError

# A field check: (value, whole meta) -> None, raising ValueError with what is wrong.
Check = Callable[[Any, Mapping], None]
_ABSENT = object()


def check(meta: Mapping, spec: Mapping[str, Check]) -> None:
    """Raise `CodecError` naming the first field of `meta` that `spec` refuses."""
    for key, field in spec.items():
        try:
            field(meta.get(key, _ABSENT), meta)
        except ValueError as exc:
            raise CodecError(f"record meta field {key!r}: {exc}") from None


def _require(ok: bool, what: str, value: Any) -> None:
    if value is _ABSENT:
        raise ValueError("missing")
    if not ok:
        raise ValueError(f"expected {what}, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def integer(minimum: int | None = 0) -> Check:
    def field(value, meta):
        _require(type(value) is int and (minimum is None or value >= minimum), f"an integer >= {minimum}", value)

    return field


def number(*, finite: bool = False) -> Check:
    """An int or float (JSON's NaN and Infinity included unless `finite`)."""

    def field(value, meta):
        ok = type(value) is float or (type(value) is int and abs(value) < 1 << 1000)  # ints that floats hold
        _require(ok and (not finite or math.isfinite(value)), "a finite number" if finite else "a number", value)

    return field


def boolean() -> Check:
    def field(value, meta):
        _require(type(value) is bool, "true or false", value)

    return field


def text(choices: tuple[str, ...] | None = None) -> Check:
    def field(value, meta):
        _require(
            isinstance(value, str) and (choices is None or value in choices),
            f"one of {choices}" if choices else "a string",
            value,
        )

    return field


def list_of(item: Check, *, length: str | None = None) -> Check:
    """A list whose items pass `item`; `length` names an integer field the list's length must equal."""

    def field(value, meta):
        _require(isinstance(value, list), "a list", value)
        if length is not None and len(value) != meta.get(length):
            raise ValueError(f"{len(value)} items where {length!r} is {_short(meta.get(length))}")
        for i, entry in enumerate(value):
            try:
                item(entry, meta)
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None

    return field


def nullable(inner: Check) -> Check:
    """`inner`, or null."""

    def field(value, meta):
        if value is not None:
            inner(value, meta)

    return field


def optional(inner: Check) -> Check:
    """`inner` when the field is present."""

    def field(value, meta):
        if value is not _ABSENT:
            inner(value, meta)

    return field
