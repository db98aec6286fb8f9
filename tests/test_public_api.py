"""The public/private line of `reasoning` (issue 14): a module is public only if it is listed
here; every other module is private by name (a leading `_`). Each subpackage's `__init__`
re-exports its public names lazily, and every name it lists resolves."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The public modules of `reasoning` (paths relative to the repository root).
PUBLIC = frozenset(
    {
        "reasoning/__init__.py",
        "reasoning/api.py",
        "reasoning/errors.py",
        "reasoning/rewards.py",
        "reasoning/strategies.py",
        "reasoning/cli/__main__.py",
    }
)

#: The subsystems whose `__init__` is their public face.
SUBPACKAGES = ("answers", "cli", "domains", "engine", "llm", "service")

#: Class names defined in two modules, allowed for now.
DUPLICATE_CLASSES_ALLOWED = frozenset(
    {
        # the MCP and HTTP wire models: the class name is the schema's `$defs` key clients see
        "VerdictOut",
    }
)


def _private(relative: Path) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in relative.parts)


def test_every_module_is_public_or_private_by_name() -> None:
    stray = []
    for path in sorted((ROOT / "reasoning").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "__pycache__" in relative.parts or str(relative) in PUBLIC or _private(relative):
            continue
        if path.name == "__init__.py":  # a package's public face
            continue
        stray.append(str(relative))
    assert not stray, f"neither public nor private by name: {stray}"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    package = importlib.import_module(f"reasoning.{name}")
    assert package.__all__, name
    for public in package.__all__:
        assert getattr(package, public) is not None, (name, public)
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


def test_importing_the_subpackages_loads_no_heavy_dependency() -> None:
    code = (
        "import sys\n"
        f"for name in {SUBPACKAGES!r}: __import__('reasoning.' + name)\n"
        "loaded = [m for m in ('z3', 'lark', 'mpmath', 'sympy', 'torch', 'transformers') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _class_names() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for package in ("reasoning", "proofs", "solvers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    found[node.name].append(str(path.relative_to(ROOT)))
    return found


def test_public_class_names_are_unique() -> None:
    """One meaning per word: a public class name is defined in one module only."""
    clashes = {
        name: paths
        for name, paths in _class_names().items()
        if len(paths) > 1 and name not in DUPLICATE_CLASSES_ALLOWED
    }
    assert not clashes, clashes


def test_the_old_solver_names_still_import_with_a_deprecation_warning() -> None:
    """One meaning per word: "solver" is a decision procedure of `solvers/`; the engine's worker
    and planner are `SymbolicWorker` / `SymbolicPlanner`, the old names kept as aliases."""
    import reasoning.engine as engine

    with pytest.warns(DeprecationWarning, match="SolverWorker is now SymbolicWorker"):
        assert engine.SolverWorker is engine.SymbolicWorker
    with pytest.warns(DeprecationWarning, match="SolverPlanner is now SymbolicPlanner"):
        assert engine.SolverPlanner is engine.SymbolicPlanner


def test_solve_takes_the_symbolic_worker_kind() -> None:
    from reasoning.engine import solve

    result = solve({"domain": "arithmetic", "expression": "3 * 8"}, worker_kind="symbolic", budget_s=30.0)
    assert result.verified and result.answers == ["24"] and result.worker_kind == "symbolic"
