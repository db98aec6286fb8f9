"""`QueryDomain`: the base class of domains whose claim and answer texts parse into a query that a
decision procedure settles with evidence a separate procedure re-checks (logic, knights_knaves)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from proofs.verdict import Status
from reasoning.domains._base import Domain, DomainCheck, Problem, certificate, certificate_shape
from reasoning.domains.logic._formulas import FormulaError


class QueryDomain(Domain):
    """A domain whose claim and answer texts parse into a query that a decision procedure settles
    (Z3 here) with evidence that a separate procedure re-checks: propositional logic, knights and
    knaves. Subclasses write the three hooks; checking and re-checking are shared.
    """

    @abstractmethod
    def parse_query(self, problem: Problem, text: str, role: str) -> Any:
        """The query of a claim (`role` "claim") or answer text; FormulaError when it does not parse."""

    @abstractmethod
    def decide_query(self, problem: Problem, query: Any, budget_s: float) -> tuple[bool | None, Any, str]:
        """(does the text hold, None when undecided within `budget_s`; evidence; message)."""

    @abstractmethod
    def verify_query(self, problem: Problem, query: Any, holds: bool, evidence: Any) -> tuple[bool, str]:
        """(ok, message): `holds` re-derived from the evidence alone; may raise KeyError, TypeError
        or ValueError for malformed evidence."""

    def _check(self, problem: Problem, text: str, role: str, budget_s: float) -> DomainCheck:
        try:
            query = self.parse_query(problem, text, role)
        except FormulaError as exc:
            return DomainCheck(Status.INVALID, str(exc))
        holds, evidence, message = self.decide_query(problem, query, budget_s)
        if holds is None:
            return DomainCheck(Status.UNKNOWN, message)
        cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
        return DomainCheck(Status.PROVED if holds else Status.REFUTED, message, cert)

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        return self._check(problem, text, "claim", budget_s)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        return self._check(problem, text, "answer", budget_s)

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        problem_ok = certificate_shape(self.name, problem, cert)
        if problem_ok is not None:
            return False, problem_ok
        try:
            query = self.parse_query(problem, cert["claim"], cert["role"])
        except FormulaError as exc:
            return False, f"the {cert['role']} does not parse: {exc}"
        try:
            return self.verify_query(problem, query, cert["holds"], cert["evidence"])
        except (KeyError, TypeError, ValueError) as exc:
            return False, f"malformed evidence: {type(exc).__name__}: {exc}"
