"""The errors this package raises for misuse (never for bad claim text).

A leaf module with no imports, so any layer (LLM backends, the engine, the service) can raise
them without loading the verification stack (Z3, Lark, mpmath) that `reasoning.api` brings in.
"""

from __future__ import annotations


class ReasoningError(Exception):
    """The root of the errors this package raises for misuse (never for bad claim text)."""


class InvalidArgument(ReasoningError, ValueError):
    """An argument is out of range or of the wrong type."""
