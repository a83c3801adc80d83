"""Lazy public names: a package lists where each name lives and loads it on first use, so importing the
package stays cheap (and torch-free) until a torch-backed name is actually used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping


def lazy_getattr(
    package: str, exports: Mapping[str, str], submodules: Mapping[str, str] | None = None
) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: `name` is looked up in the module `exports[name]`, or is
    the whole module `submodules[name]`.

    Example:
        >>> __getattr__ = lazy_getattr(__name__, {"plane": "tb_suite.landscape.compute"})
    """
    submodules = submodules or {}

    def __getattr__(name: str):
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in submodules:
            value = importlib.import_module(submodules[name])
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__


def lazy_dir(
    exports: Mapping[str, str], submodules: Mapping[str, str] | None = None, extra: Iterable[str] = ()
) -> Callable[[], list[str]]:
    """A module-level `__dir__` listing the package's public names (the lazy ones and `extra`), so
    `dir(package)` shows all of them before any was loaded, and not the helpers the package imports.

    Example:
        >>> __dir__ = lazy_dir({"plane": "tb_suite.landscape.compute"}, extra=["__version__"])
    """
    names = sorted({*exports, *(submodules or {}), *extra})
    return lambda: list(names)
