"""The project's Lark grammars, shipped as data inside the wheel and loaded by name."""

from importlib import resources


def grammar_text(name: str) -> str:
    """Return the text of `grammars/<name>.lark`; raises FileNotFoundError for unknown names."""
    return resources.files(__package__).joinpath(f"{name}.lark").read_text(encoding="utf-8")
