"""The registry of task domains: one module per domain, each ending with `register(...)`.

`get(name)` returns a registered domain, `for_reasoning_gym(task)` the domain that reads a
reasoning-gym task, `load(task_dict)` parses a task dict that names its `domain`. Unknown names
and duplicate registrations are a clear `TaskError` / `ValueError`.

Public here: the registry functions and the domain interface (`Domain`, `Problem`, `FieldSpec`,
`DomainCheck`, `certificate`). Private modules: `_base` (the domain interface), `_certificates`
(re-checking a task domain's certificate: the certificate kind "domain" means exactly that), and
one package per domain or family (`arithmetic/`, `equations/`, `countdown/`, `grids/`, `logic/`,
`knights_knaves/`, shared helpers in `common/`), whose modules are private too.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from typing import Any

from reasoning.domains._base import Domain, DomainCheck, FieldSpec, Problem, TaskError, certificate

#: The modules that register the built-in domains, imported on first use.
BUILTIN = (
    "reasoning.domains.countdown._domain",
    "reasoning.domains.grids._sudoku",
    "reasoning.domains.grids._futoshiki",
    "reasoning.domains.arithmetic._domain",
    "reasoning.domains.equations._domain",
    "reasoning.domains.logic._domain",
    "reasoning.domains.knights_knaves._domain",
)

_DOMAINS: dict[str, Domain] = {}
_LOAD_LOCK = threading.RLock()
_loaded = False
_loading = False


def register(domain: Domain) -> Domain:
    """Add `domain` to the registry; ValueError when its name (or a reasoning-gym task) is taken."""
    if not isinstance(domain, Domain):
        raise ValueError(f"register() takes a Domain instance, got {type(domain).__name__}")
    if domain.name in _DOMAINS:
        raise ValueError(f"a domain named {domain.name!r} is already registered")
    for task in domain.reasoning_gym:
        owner = next((d.name for d in _DOMAINS.values() if task in d.reasoning_gym), None)
        if owner is not None:
            raise ValueError(f"reasoning-gym task {task!r} is already read by domain {owner!r}")
    _DOMAINS[domain.name] = domain
    return domain


def _load_builtin() -> None:
    """Import the built-in domain modules once. The lock keeps a second thread from seeing a
    half-filled registry; `_loading` lets a domain module's own import call back in."""
    global _loaded, _loading
    if _loaded:
        return
    with _LOAD_LOCK:
        if _loaded or _loading:
            return
        _loading = True
        try:
            for module in BUILTIN:
                try:
                    importlib.import_module(module)
                except ModuleNotFoundError as exc:
                    if exc.name != module:  # a missing dependency is a real error; a missing module is not
                        raise
        finally:
            _loading = False
        _loaded = True


def names() -> list[str]:
    """Registered domain names, sorted."""
    _load_builtin()
    return sorted(_DOMAINS)


def get(name: str) -> Domain:
    """The domain called `name`; TaskError listing the known ones otherwise."""
    _load_builtin()
    domain = _DOMAINS.get(name) if isinstance(name, str) else None
    if domain is None:
        raise TaskError(f"unknown domain {name!r}; known: {', '.join(sorted(_DOMAINS))}")
    return domain


def for_reasoning_gym(task: str) -> Domain:
    """The domain that reads reasoning-gym task `task`; TaskError listing the supported ones."""
    _load_builtin()
    for domain in _DOMAINS.values():
        if task in domain.reasoning_gym:
            return domain
    known = sorted(t for d in _DOMAINS.values() for t in d.reasoning_gym)
    raise TaskError(f"no domain reads reasoning-gym task {task!r}; supported: {', '.join(known)}")


def reasoning_gym_tasks() -> list[str]:
    """Every reasoning-gym task some domain reads, sorted."""
    _load_builtin()
    return sorted(t for d in _DOMAINS.values() for t in d.reasoning_gym)


def load(task: Mapping[str, Any]) -> Problem:
    """Parse a task dict that names its `domain`; TaskError names what is wrong."""
    if not isinstance(task, Mapping):
        raise TaskError(f"a task is a JSON object, got {type(task).__name__}")
    if "domain" not in task:
        raise TaskError(f"a task needs a 'domain' field; known domains: {', '.join(names())}")
    return get(task["domain"]).parse(task)


__all__ = [
    "Domain",
    "DomainCheck",
    "FieldSpec",
    "Problem",
    "TaskError",
    "certificate",
    "for_reasoning_gym",
    "get",
    "load",
    "names",
    "reasoning_gym_tasks",
    "register",
]
