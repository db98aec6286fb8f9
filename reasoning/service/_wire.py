"""Wire types of the HTTP API: what each endpoint takes and returns (pydantic models).

These models are the OpenAPI document. Requests forbid unknown fields (a typo such as `budget`
for `budget_s` is a 422, not a silently ignored option) and NaN/infinity. Bounds here are the
absolute ones; a server's own limits (`Settings`: items, characters, budgets) are written into
its document by `tighten_openapi` and checked by the handlers, so the document states exactly
what the server accepts. The one-of rules of `/v1/equiv` and `/v1/check` are stated as `oneOf`
of closed shapes, and a task is one of the per-domain task schemas or the plain task
(`reasoning.engine._task_schema`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from reasoning.engine._task_schema import task_model
from reasoning.service._limits import LIMITS, Settings

Status = Literal["proved", "refuted", "unknown", "invalid"]
Budget = Field(
    default=None,
    gt=0,
    le=LIMITS.budget_ceiling_s,
    description="Seconds per claim, pair or certificate (default and cap: the server's settings).",
)


#: A code point in the UTF-16 surrogate range: JSON's `"\\ud800"` escape decodes to one when it
#: is not half of a pair, and such a string is not Unicode text (it cannot be encoded as UTF-8).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unpaired_surrogate(data: Any) -> str | None:
    """The location (`claims.0`) of the first string, or key, holding an unpaired surrogate."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                place = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _SURROGATE.search(key):
                    return where or "body"
                stack.append((item, place))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{i}" if where else str(i)) for i, item in enumerate(value))
    return None


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _unicode_only(cls, data: Any) -> Any:
        """Text with an unpaired surrogate (`"\\ud800"` in the JSON) is refused here: accepted, it
        reached the reply, which cannot be written as UTF-8, and the client got a 500."""
        where = _unpaired_surrogate(data)
        if where is not None:
            raise ValueError(f"{where} holds an unpaired UTF-16 surrogate escape: not Unicode text")
        return data


def _no_nulls(data: Any, keys: tuple[str, ...]) -> None:
    """An explicit null for one of the one-of fields is refused (the document has no null there)."""
    if isinstance(data, dict):
        for key in keys:
            if key in data and data[key] is None:
                raise ValueError(f"{key} must not be null (leave it out instead)")


def _one_of(*shapes: tuple[str, tuple[str, ...], tuple[str, ...]]):
    """A `json_schema_extra` that turns a model's schema into `oneOf` closed shapes:
    (title, properties, required); every shape also takes `budget_s`."""

    def extra(schema: dict[str, Any]) -> None:
        properties = schema.pop("properties")
        for key in ("required", "additionalProperties", "type"):
            schema.pop(key, None)
        schema["oneOf"] = [
            {
                "type": "object",
                "title": title,
                "properties": {
                    name: {k: v for k, v in properties[name].items() if k != "default" or name == "budget_s"}
                    for name in (*names, "budget_s")
                },
                "required": list(required),
                "additionalProperties": False,
            }
            for title, names, required in shapes
        ]

    return extra


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a stable `error` code, a message for people, optional details."""

    error: str = Field(description="A stable code, e.g. body_too_large, too_many_requests, invalid_task.")
    message: str
    details: Any = None


# ------------------------------------------------------------------------------- verify


class VerifyRequest(_Request):
    """Claims in the claim language, checked one by one, each within `budget_s`."""

    claims: list[str] = Field(min_length=1, examples=[["2^10 = 1024", "(x+1)^2 = x^2 + 2x + 1"]])
    budget_s: float | None = Budget


class VerdictOut(BaseModel):
    """One claim's verdict (`Verdict.to_json`): a certificate when proved or refuted, a
    counterexample when refuted, `details` (line, column, expected) when invalid."""

    claim: str
    status: Status
    backend: str
    elapsed_ms: float
    certificate: dict[str, Any] | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""
    details: dict[str, Any] | None = None


class VerifyResponse(BaseModel):
    verdicts: list[VerdictOut] = Field(description="In the order of the claims.")
    elapsed_ms: float


# ------------------------------------------------------------------------------- equiv


class Pair(_Request):
    gold: str
    prediction: str


class EquivRequest(_Request):
    """One pair (`gold`, `prediction`) or a batch (`pairs`), not both."""

    model_config = ConfigDict(
        json_schema_extra=_one_of(
            ("One pair", ("gold", "prediction"), ("gold", "prediction")), ("A batch", ("pairs",), ("pairs",))
        )
    )

    gold: str = Field(default=None, examples=["\\frac{1}{2}"])  # type: ignore[assignment]
    prediction: str = Field(default=None, examples=["0.5"])  # type: ignore[assignment]
    pairs: list[Pair] = Field(default=None, min_length=1)  # type: ignore[assignment]
    budget_s: float | None = Budget

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        _no_nulls(data, ("gold", "prediction", "pairs"))
        return data

    @model_validator(mode="after")
    def _one_form(self) -> EquivRequest:
        single = self.gold is not None or self.prediction is not None
        if single and self.pairs is not None:
            raise ValueError("give either gold and prediction, or pairs, not both")
        if not single and self.pairs is None:
            raise ValueError("give gold and prediction, or pairs")
        if single and (self.gold is None or self.prediction is None):
            raise ValueError("gold and prediction come together")
        return self

    def all_pairs(self) -> list[Pair]:
        if self.pairs is not None:
            return self.pairs
        return [Pair(gold=self.gold or "", prediction=self.prediction or "")]


class EquivalenceOut(BaseModel):
    """One pair's judgement (`EquivalenceResult.to_json`): `equivalent` is true (proved), false
    (refuted) or null (unknown or invalid)."""

    gold: str
    prediction: str
    status: Status
    equivalent: bool | None
    backend: str
    elapsed_ms: float
    certificate: dict[str, Any] | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""


class EquivResponse(BaseModel):
    results: list[EquivalenceOut] = Field(description="In the order of the pairs (one for a single pair).")
    elapsed_ms: float


# ------------------------------------------------------------------------------- check


class CheckRequest(_Request):
    """One certificate, a batch of certificates, or one proof bundle (exactly one of the three)."""

    model_config = ConfigDict(
        json_schema_extra=_one_of(
            ("One certificate", ("certificate",), ("certificate",)),
            ("A batch", ("certificates",), ("certificates",)),
            ("A proof bundle", ("bundle",), ("bundle",)),
        )
    )

    certificate: dict[str, Any] = Field(default=None)  # type: ignore[assignment]
    certificates: list[dict[str, Any]] = Field(default=None, min_length=1)  # type: ignore[assignment]
    bundle: dict[str, Any] = Field(default=None, description="A proof bundle (reasoning.bundle/1).")  # type: ignore[assignment]
    budget_s: float | None = Field(
        default=None,
        gt=0,
        le=LIMITS.budget_ceiling_s,
        description="Seconds per certificate or bundle (default and cap: the server's).",
    )

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        _no_nulls(data, ("certificate", "certificates", "bundle"))
        return data

    @model_validator(mode="after")
    def _one_form(self) -> CheckRequest:
        given = [
            name for name in ("certificate", "certificates", "bundle") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of certificate, certificates, bundle (got {', '.join(given) or 'none'})"
            )
        return self


class CheckReportOut(BaseModel):
    """A certificate's re-check: ok, why, and what each checker said."""

    ok: bool
    message: str
    checks: dict[str, str] = Field(default_factory=dict)


class BundleItemOut(BaseModel):
    item: str
    ok: bool
    message: str


class BundleReportOut(BaseModel):
    """A bundle's re-check: ok only when every item re-checks; `failed` names the first that does not."""

    ok: bool
    checked: int
    failed: str | None
    message: str
    items: list[BundleItemOut]


class CheckResponse(BaseModel):
    ok: bool = Field(description="Everything sent re-checks.")
    reports: list[CheckReportOut] = Field(description="One per certificate (empty for a bundle).")
    bundle: BundleReportOut | None = None


# ------------------------------------------------------------------------------- solve


class SolveRequest(_Request):
    """A task: a domain task (`{"domain": NAME, ...}`, one schema per domain) or a plain engine
    task (`text`, `unknowns`, `constraints`, `goal`). What a schema cannot say (a grid's shape, a
    constraint that does not parse) is answered with status `invalid` and the engine's message."""

    task: task_model() = Field(  # type: ignore[valid-type]
        examples=[
            {
                "text": "Find integers x and y with x + y = 10 and x - y = 2.",
                "unknowns": {"x": "Int", "y": "Int"},
                "constraints": ["x + y = 10", "x - y = 2"],
                "goal": {"kind": "find", "unique": True},
            }
        ]
    )
    budget_s: float | None = Field(
        default=None, gt=0, le=LIMITS.budget_ceiling_s, description="Seconds for the whole run."
    )
    seed: int = Field(default=0, ge=0, le=2**32)
    capacity: int = Field(
        default=4,
        ge=1,
        le=16,
        validation_alias=AliasChoices("capacity", "workers"),
        description="Engine capacity: forks running at once (`workers` is its deprecated spelling).",
    )
    include_bundle: bool = Field(default=False, description="Return the run's proof bundle too.")


class SolveResponse(BaseModel):
    """`SolveResult.to_json` without file paths: `bundle` is the proof bundle itself when asked for."""

    task: dict[str, Any]
    answers: list[str]
    verified: bool
    status: Status
    message: str
    certificates: list[dict[str, Any]]
    metrics: dict[str, Any]
    bundle: dict[str, Any] | None = None
    elapsed_s: float


# ------------------------------------------------------------------------------- health


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    processes: int = Field(description="Size of the verification process pool.")
    processes_running: int = Field(description="Pool processes alive now (they start lazily).")
    workers: int = Field(description="Deprecated: use `processes` (the same number).")
    workers_running: int = Field(description="Deprecated: use `processes_running` (the same number).")
    active_requests: int
    queued_requests: int
    auth: bool = Field(description="Whether /v1/ routes need a bearer token.")


# ------------------------------------------------------------------------------- the document


def _walk(node: Any):
    """Every dict inside a JSON Schema (depth first)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _number_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The numeric branch of `number | null`, or the schema itself."""
    for branch in schema.get("anyOf", ()):
        if branch.get("type") == "number":
            return branch
    return schema


def tighten_openapi(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write `settings`' caps into the request schemas of an OpenAPI `document` (in place):
    budgets' maximum, items per request, characters per claim or answer. The handlers enforce
    the same numbers, so a request the document admits is a request the server accepts."""
    document.setdefault("info", {})["description"] = (
        f"Limits of this server: at most {settings.max_claims} claims, pairs or certificates per "
        f"request, {settings.max_claim_chars} characters per claim or answer, "
        f"{settings.max_body_bytes} bytes per body (413 beyond), budget_s up to "
        f"{settings.max_budget_s:g} s per claim, pair or certificate (default "
        f"{settings.default_budget_s:g} s) and up to {settings.max_solve_budget_s:g} s per solve run "
        f"(default {settings.default_solve_budget_s:g} s)."
    )
    components = document.get("components", {}).get("schemas", {})
    caps = {
        "VerifyRequest": settings.max_budget_s,
        "EquivRequest": settings.max_budget_s,
        "CheckRequest": settings.max_budget_s,
        "SolveRequest": settings.max_solve_budget_s,
    }
    for name, cap in caps.items():
        for node in _walk(components.get(name, {})):
            properties = node.get("properties", {})
            if "budget_s" in properties:
                _number_branch(properties["budget_s"])["maximum"] = cap
            for key in ("claims", "pairs", "certificates"):
                if key in properties:
                    properties[key]["maxItems"] = settings.max_claims
            if name == "VerifyRequest" and "claims" in properties:
                properties["claims"]["items"]["maxLength"] = settings.max_claim_chars
            if name == "EquivRequest":
                for key in ("gold", "prediction"):
                    if key in properties:
                        properties[key]["maxLength"] = settings.max_claim_chars
    pair = components.get("Pair", {}).get("properties", {})
    for key in ("gold", "prediction"):
        if key in pair:
            pair[key]["maxLength"] = settings.max_claim_chars
    return document
