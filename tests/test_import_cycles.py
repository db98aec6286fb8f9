"""The import structure (issue 14): no import cycles among our packages, counting every import
statement (module level, inside functions, inside `if TYPE_CHECKING:`); the core packages never
import `reasoning`; function-level imports only for heavy optional dependencies; `import
reasoning.llm` (and its `_base`) does not load the verification stack; `proofs.check` alone knows every
certificate kind."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reasoning", "proofs", "solvers", "grammars")
CORE = ("proofs", "solvers", "grammars")

#: Heavy or optional third-party packages a function may import where it needs them, so that
#: importing our module does not load them (or fail without them).
HEAVY_OPTIONAL = frozenset(
    {
        "torch",
        "transformers",
        "accelerate",
        "ray",
        "llguidance",
        "openai",
        "gguf",
        "mcp",
        "cvc5",
        "uvicorn",
        "huggingface_hub",
        "reasoning_gym",
    }
)

#: Function-level imports still allowed, as (importing module, imported module). Shrink this
#: list, never grow it.
ALLOWED_FUNCTION_IMPORTS: frozenset[tuple[str, str]] = frozenset(
    {
        # SymPy takes about a second to import and most claims never need it (test_verify checks
        # that a plain verify does not load it): only its fallbacks import it, when they run.
        ("proofs.check", "proofs.sympy_form"),
        ("solvers.dispatch", "solvers.sympy_backend"),
        ("reasoning.domains.equations._root_answers", "sympy"),
        ("reasoning.domains.equations._root_answers", "proofs.sympy_form"),
        # The MCP server module imports the optional `mcp` SDK at module level.
        ("reasoning.cli._mcp", "reasoning.service._mcp"),
        # The local backend loads the grammar machinery (Lark, llguidance) that `reasoning.llm`
        # must not load for remote backends.
        ("reasoning.llm._spec", "reasoning.llm._local"),
        # Lark only when a grammar is converted to GBNF (llama.cpp's grammar mode): every remote
        # backend imports the converter through the grammar wire module, and the other modes must
        # not load Lark.
        ("reasoning.llm._gbnf", "lark"),
    }
)

#: Modules whose function-level imports are not yet hoisted. Empty: every pending module of issue
#: 14 now imports at module level; keep it empty.
PENDING_MODULES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    nested: bool  # inside a function body


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _nearest_module(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int, bool]]:
    """(imported module, names imported from it, line, nested) for every import statement."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    out: list[tuple[str, list[str], int, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append((alias.name, [], child.lineno, nested))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    if not is_package:
                        base = base[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                out.append((target, [a.name for a in child.names], child.lineno, nested))
            visit(child, inner)

    visit(tree, False)
    return out


def _edges() -> tuple[list[Edge], list[tuple[str, str, int]]]:
    """Edges between our modules, and every function-level import (source, target, line)."""
    modules = _modules()
    edges: list[Edge] = []
    nested_imports: list[tuple[str, str, int]] = []
    for module, path in modules.items():
        for target, names, line, nested in _imports(module, path):
            if nested:
                nested_imports.append((module, target, line))
            if target.split(".")[0] not in PACKAGES:
                continue
            resolved = set()
            for name in names:  # `from pkg import submodule` imports the submodule
                if f"{target}.{name}" in modules:
                    resolved.add(f"{target}.{name}")
                else:
                    resolved.add(_nearest_module(target, modules))
            if not names:
                resolved.add(_nearest_module(target, modules))
            for found in resolved - {None, module}:
                edges.append(Edge(module, found, line, nested))
    return edges, nested_imports


def test_no_import_cycles() -> None:
    edges, _ = _edges()
    graph = nx.DiGraph()
    for edge in edges:
        graph.add_edge(edge.source, edge.target, line=edge.line)
    cycles = sorted(nx.simple_cycles(graph), key=len)
    shown = []
    for cycle in cycles[:20]:
        hops = [
            f"{a} (line {graph.edges[a, b]['line']})"
            for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)
        ]
        shown.append(" -> ".join([*hops, cycle[0]]))
    assert not cycles, f"{len(cycles)} import cycles, e.g.:\n" + "\n".join(shown)


def test_core_packages_never_import_reasoning() -> None:
    edges, _ = _edges()
    upward = [e for e in edges if e.source.split(".")[0] in CORE and e.target.split(".")[0] == "reasoning"]
    assert not upward, upward


def test_function_level_imports_only_for_heavy_optional_dependencies() -> None:
    _, nested = _edges()
    bad = sorted(
        f"{source}:{line} imports {target}"
        for source, target, line in nested
        if target.split(".")[0] not in HEAVY_OPTIONAL
        and (source, target) not in ALLOWED_FUNCTION_IMPORTS
        and source not in PENDING_MODULES
    )
    assert not bad, f"{len(bad)} function-level imports:\n" + "\n".join(bad)


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_llm_base_does_not_load_the_verification_stack() -> None:
    done = _fresh(
        "import sys, reasoning.llm, reasoning.llm._base\n"
        "loaded = [m for m in ('z3', 'mpmath', 'sympy', 'torch', 'lark') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    assert done.returncode == 0, done.stderr


def test_a_remote_backend_loads_lark_only_to_convert_a_grammar_to_gbnf() -> None:
    done = _fresh(
        "import sys\n"
        "from reasoning.llm._openai_backend import OpenAIBackend\n"
        "from reasoning.llm._grammar_wire import grammar_body\n"
        "backend = OpenAIBackend('http://127.0.0.1:9/v1', 'm', grammar_mode='vllm')\n"
        "assert grammar_body('vllm', 'start: \"a\"') is not None\n"
        "assert 'lark' not in sys.modules, 'lark loaded without a GBNF conversion'\n"
        "gbnf = grammar_body('llamacpp', 'start: \"a\"')\n"
        "assert gbnf == {'grammar': 'root ::= r-start\\nr-start ::= ( t-a )\\nt-a ::= \"a\"\\n'}, gbnf\n"
        "assert 'lark' in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr


def test_errors_are_the_same_classes_everywhere() -> None:
    import reasoning
    from reasoning import api, errors

    assert api.InvalidArgument is errors.InvalidArgument is reasoning.InvalidArgument
    assert api.ReasoningError is errors.ReasoningError is reasoning.ReasoningError
    assert issubclass(errors.InvalidArgument, ValueError)


def test_proofs_check_alone_knows_every_certificate_kind() -> None:
    done = _fresh(
        "import sys, proofs.check as c\n"
        "assert 'reasoning' not in sys.modules\n"
        "for kind in ('equivalence', 'consistency', 'domain'):\n"
        "    report = c.check_certificate({'kind': kind})\n"
        "    assert not report.ok and 'unknown certificate kind' not in report.message, (kind, report)\n"
        "gold = {'kind': 'equivalence', 'gold': '1/2', 'prediction': '0.5'}\n"
        "print(c.check_certificate(gold).message)\n"
    )
    assert done.returncode == 0, done.stderr


def test_z3_contexts_come_from_one_helper() -> None:
    """Only `solvers.z3_context` makes Z3 contexts (and `proofs.check`, below `solvers`)."""
    makers = set()
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "z3.Context":
                makers.add(module)
    assert makers <= {"solvers.z3_context", "proofs.check"}, makers
