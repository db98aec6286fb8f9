"""The README's Layout section names every package and every public module, and no private
module of `reasoning` (issue 14: the README documents exactly the public modules)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reasoning", "proofs", "solvers", "grammars")


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _private(path: Path) -> bool:
    """A module of `reasoning` whose name (or a package's) starts with `_`, other than dunders."""
    parts = path.relative_to(ROOT).parts
    return parts[0] == "reasoning" and any(p.startswith("_") and not p.startswith("__") for p in parts)


def test_no_private_module_is_named_in_the_readme_layout() -> None:
    layout = _layout_section()
    named = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "reasoning").rglob("*.py"))
        if _private(path) and path.name in layout
    ]
    assert not named, f"README Layout names private modules: {named}"


def test_every_module_is_named_in_the_readme_layout() -> None:
    layout = _layout_section()
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*"))
        if path.suffix in {".py", ".lark"}
        and path.name != "__init__.py"
        and "__pycache__" not in path.parts
        and not _private(path)
        and path.name not in layout
    ]
    assert not missing, f"README Layout does not name: {missing}"


def test_every_subpackage_is_named_in_the_readme_layout() -> None:
    layout = _layout_section()
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("__init__.py"))
        if path.parent != ROOT / package and f"{path.parent.name}/" not in layout
    ]
    assert not missing, f"README Layout does not name: {missing}"
