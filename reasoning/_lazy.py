"""Lazy re-exports for the packages' `__init__` modules.

A package's public names map to the private modules that define them; a name's module is
imported on first use and the value cached on the package, so `import reasoning.llm` (or any
package) loads no Z3, Lark, SymPy or torch until a name that needs them is used.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str], renamed: Mapping[str, str] | None = None
) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: `exports` maps a public name to its module
    (`"pkg._mod"`, or `"pkg._mod:attr"` for another attribute name); `renamed` maps deprecated
    old names to their new names (a DeprecationWarning on each use)."""
    old_names = dict(renamed or {})

    def __getattr__(name: str) -> object:
        if name in old_names:
            warnings.warn(f"{name} is now {old_names[name]}", DeprecationWarning, stacklevel=2)
            name = old_names[name]
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        value = getattr(importlib.import_module(module), attr or name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
