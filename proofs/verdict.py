"""Verdicts: the four-valued answer to "is this claim true?", with its evidence.

`proved` only comes from a sound procedure (exact rational evaluation, Z3 `unsat` of the
negation, a SymPy difference that is exactly zero with every partial operation shown defined).
`refuted` always carries a counterexample or a refutation certificate that re-checks.
Certificates are plain JSON-able dicts so `proofs.check` can re-check them from JSON alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Status(str, Enum):
    PROVED = "proved"
    REFUTED = "refuted"
    UNKNOWN = "unknown"
    INVALID = "invalid"

    def __str__(self) -> str:
        return self.value


#: A certificate is a JSON object with at least `kind` and `claim` (see proofs.check).
Certificate = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The outcome of checking one claim."""

    claim: str
    status: Status
    backend: str
    elapsed_ms: float = 0.0
    certificate: Certificate | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def timed(self, elapsed_ms: float) -> Verdict:
        return replace(self, elapsed_ms=round(elapsed_ms, 3))

    def to_json(self) -> dict[str, Any]:
        """The wire form (CLI `--json`, HTTP, MCP): stable keys, JSON types only."""
        out: dict[str, Any] = {
            "claim": self.claim,
            "status": self.status.value,
            "backend": self.backend,
            "elapsed_ms": self.elapsed_ms,
            "certificate": self.certificate,
            "counterexample": self.counterexample,
            "message": self.message,
        }
        if self.details:
            out["details"] = self.details
        return out


def invalid(claim: str, message: str, **details: Any) -> Verdict:
    return Verdict(claim=claim, status=Status.INVALID, backend="parser", message=message, details=details)


def unknown(claim: str, backend: str, message: str) -> Verdict:
    return Verdict(claim=claim, status=Status.UNKNOWN, backend=backend, message=message)
