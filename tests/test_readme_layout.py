"""The README's Layout section names every module of the packages it describes (issue 14)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reasoning", "proofs", "solvers", "grammars")


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_every_module_is_named_in_the_readme_layout() -> None:
    layout = _layout_section()
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*"))
        if path.suffix in {".py", ".lark"}
        and path.name != "__init__.py"
        and "__pycache__" not in path.parts
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
