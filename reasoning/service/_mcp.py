"""The MCP server: the verifier as four tools and two resources for a calling model (`reason mcp`).

Tools, each with a typed input schema (bounds and descriptions) and a structured result:

- `verify_claims(claims, budget_s, detail)`: one verdict per claim (proved / refuted with a
  counterexample / unknown / invalid with a position), with its certificate when `detail` is
  `full`.
- `check_answer(gold, prediction, budget_s, detail)`: answer equivalence (`reasoning.equivalent`).
- `solve_task(task, budget_s, capacity, seed, include_bundle, detail)`: a task solved by the
  fork/join engine (`reasoning.solve`); answers, whether they are verified, their obligations.
  The task's input schema is a union over the domain registry (`reasoning.engine._task_schema`): one
  closed schema per domain with its own fields, or the plain task with its goal.

`detail` is `summary` by default (statuses, answers, counterexamples, messages: what an agent
reads) or `full` (also every certificate, and for `solve_task` the proof bundle): a 9x9 Sudoku's
certificate alone is some 30,000 characters an agent's context does not need. Limits (claims per
call, characters per claim, budgets) are `reasoning.service._limits.LIMITS`, as for the HTTP API.
- `check_certificate(certificate, use_cvc5)`: re-checks a certificate, a verdict or a proof
  bundle from its JSON alone.

Resources: `reasoning://claim-language` (the claim language, Markdown, for the calling model) and
`reasoning://domains` (the registered task domains and their fields, JSON).

Bad arguments become an `isError` result with a clear message (`ToolError`), never a traceback;
hostile claims come back `unknown` or `invalid` within their budget (the verifier bounds sizes
before computing). CPU work runs in worker threads (`asyncio.to_thread`) behind a semaphore, so
the event loop keeps answering other requests while a claim is being checked.

Serve it with `reason mcp --transport stdio|http` (`reasoning.cli._mcp`), or in-process with
`build_server()` and the SDK's `Client(server)`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from proofs.check import check_certificate, check_verdict, states_a_verdict
from proofs.verdict import unknown
from reasoning.answers._equivalence import equivalent
from reasoning.api import ReasoningError, verify
from reasoning.domains import get, names
from reasoning.engine._bundle import build_bundle, check_bundle, is_bundle
from reasoning.engine._solve import VERIFY_BUDGET_S, solve
from reasoning.engine._task_schema import task_dict, task_model
from reasoning.service._auth import BearerAuth, require_token_off_loopback, validate_token
from reasoning.service._limits import LIMITS

#: Claims per `verify_claims` call (the service's limit, `LIMITS`).
MAX_CLAIMS = LIMITS.max_items
#: Characters per claim or answer (the claim parser's own limit).
MAX_TEXT_CHARS = LIMITS.max_claim_chars
#: Seconds one claim or one answer comparison may take.
MAX_BUDGET_S = LIMITS.max_budget_s
#: Seconds a whole `verify_claims` call may take; claims not reached by then are `unknown`.
MAX_CALL_S = 120.0
#: Seconds a `solve_task` run may take.
MAX_SOLVE_S = LIMITS.max_solve_budget_s
#: Largest certificate or bundle (as JSON) `check_certificate` reads.
MAX_CHECK_CHARS = 10_000_000
#: CPU-bound calls running at once (others wait their turn; the event loop stays free).
DEFAULT_MAX_CONCURRENT = max(2, os.cpu_count() or 1)

CLAIM_LANGUAGE_URI = "reasoning://claim-language"
DOMAINS_URI = "reasoning://domains"

CLAIM_LANGUAGE = """\
# The claim language of the `reasoning` verifier

Use it for the `claims` of `verify_claims`, for the `constraints` of a `solve_task` task and to
read the `claim` field of certificates. One claim per string (or per line); `#` starts a comment.

## Syntax

- Numbers are exact: `0.1` is 1/10. Operators `+ - * /`, `^` or `**` (right-associative;
  `-2^2 = -4`), unary minus, parentheses, implicit multiplication (`2x`, `3(x+1)`), `n!`,
  `mod` and `%` (the sign follows the divisor).
- Functions: `sqrt root(x, n) abs min max gcd lcm floor ceil mod binomial factorial exp ln
  log(x) log(x, b) sin cos tan`, always with parentheses: a function name is never a variable
  (`cos 0 = 0` is invalid, not the product cos·0). Constants: `pi`, `e`. Scientific notation
  (`1e3`, `.5e3`) and `0x10`, `0b10`, `0o7` are invalid (1·e3? 0·x10?): write `10^3`, `16`.
  Implicit multiplication binds like `*`, left to right: `1/2x` is x/2.
  `n!!` (double factorial or `(n!)!`?), `4!=25` (`4! = 25` or `4 != 25`?) and a number after a
  number (`10 000`, `1 1/2`: 10000 and 3/2, or products?; also tight, `1.5.2`, `1_000`) are
  invalid too: write `(n!)!`, `!=` with a space before it, `10000`, `1 + 1/2`.
- Relations `= != < <= > >=`, chains (`0 < x < 1`), membership `x in {1, 2, 3}`.
- Connectives `not and or -> <->` (loosest last), `true`, `false`.
- Quantifiers: `forall x in Int: ...`, `exists x, y in Real: ...` (the body extends to the end).
  Free variables are universally quantified over the reals. A claim is true only where it is
  defined (`1/0 != 1` and `not (1/0 = 1)` are refuted); a `forall` is false only at a value where
  its body is defined and false, so `not (forall x in Real: 1/x > 0 -> x > 0)` is not proved.
  One-argument `log(x)` is the natural logarithm (`log(x, 10)` is base 10).
- Limits: 20,000 characters, bracket nesting 200, tree depth 400; exact values up to 100,000
  bits. Beyond the size limits a claim is `unknown` at once (`2^2^2^2^2^100 = 5`, `1000000! = 1`),
  as is one whose SMT-LIB text passes 1,000,000 characters (long `<->` chains, or nested `abs`,
  `min`, `max`, whose text repeats their arguments). Z3 is not given polynomials of degree
  above 128 (`((x^2)^2)...` to x^1024 ran 16-27 s inside Z3 under a 2 s timeout: its nonlinear
  solver does not poll the timeout there), nor claims nested too deeply for the recursive
  SMT-LIB translation; other backends may still decide them, else they are `unknown`.

## Examples

    (x + 1)^2 = x^2 + 2x + 1              # proved (polynomial normal form)
    1/2^99 = 1/2^98                       # refuted: the exact values of both sides differ
    x / x = 1                             # refuted at x = 0 (undefined there)
    x != 0 -> x / x = 1                   # proved
    forall n in Int: n^2 >= 0             # proved (Z3)
    exists x in Int: x^2 = 2              # refuted
    0 < 1/3 < 1/2 and 7 mod 3 = 1         # proved (exact)
    gcd(12, 18) = 6 and binomial(5, 2) = 10

## Verdicts

| status    | meaning |
|-----------|---------|
| `proved`  | a sound procedure proved it: exact rational evaluation, polynomial normal forms, interval arithmetic that separates the sides, Z3 `unsat` of the negation, or a SymPy difference that is exactly zero |
| `refuted` | false (or undefined) somewhere: `counterexample` gives exact values of the variables (and of both sides) |
| `unknown` | the budget ran out, the numbers are too large to compute, or no backend decides the fragment |
| `invalid` | the text did not parse: `details` has line, column, expected tokens and the offending text |

Floating-point agreement alone is never `proved`. A claim is true when it is well defined and
holds: `x / x = 1` is refuted at `x = 0`, while `x != 0 -> x / x = 1` is proved.

## Certificates

Each verdict carries a JSON certificate that `check_certificate` re-checks without trusting the
producer (kinds: `exact`, `polynomial`, `counterexample`, `witness`, `interval`, `smt` (an
SMT-LIB 2 script re-solved by a fresh Z3, and cvc5 when installed), `sympy`, `equivalence`,
`consistency`, `domain`). A `solve_task` proof bundle (`include_bundle: true`) is re-checked
item by item.

## Answers (`check_answer`)

`gold` and `prediction` are final answers in a LaTeX subset or plain text: `\\boxed{}` (the
last one), `$..$`, `\\frac`, `\\sqrt[n]{}`, `\\cdot \\times \\div`, `^{..}`, `\\pi`, `\\infty`,
sets `\\{..\\}`, intervals and `\\cup`, tuples, `x = 5`, `n = 2, 3, 4`, inequalities, `5\\%`,
`5^\\circ`, units (`\\text{5 cm}`), `\\pm`, `\\binom`, `1/2`, `0.5`, `2*x`. `equivalent` is
`true` only when every component claim is proved, `false` only with a refutation (usually a
counterexample) or a structural mismatch, otherwise `null`.

## Tasks (`solve_task`)

A plain task: `{"text": "Find integers x, y with x + y = 10 and x - y = 2.",
"unknowns": {"x": "Int", "y": "Int"}, "constraints": ["x + y = 10", "x - y = 2"]}`
(unknowns are `Int` or `Real`; constraints are claims over them), with an optional `goal`:
`{"kind": "find", "unique": true}` (default: find every unknown), `{"kind": "all"}` or
`{"kind": "decide", "claim": ...}`. A domain task names its `domain` and that domain's fields:
the input schema of `solve_task` has one per domain, and `reasoning://domains` lists them.
"""

INSTRUCTIONS = (
    "A sound verifier for math claims and answers. Every result is proved, refuted (with a "
    "counterexample), unknown or invalid, with a certificate anyone can re-check. Read "
    f"{CLAIM_LANGUAGE_URI} for the claim syntax before writing claims."
)

Status = Literal["proved", "refuted", "unknown", "invalid"]
Detail = Literal["summary", "full"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


# ------------------------------------------------------------------ wire types (results)


class VerdictOut(BaseModel):
    """One claim's verdict (`Verdict.to_json`)."""

    claim: str = Field(description="The claim as written (comments removed).")
    status: Status
    backend: str = Field(description="What decided it: exact, polynomial, interval, z3, sympy, parser, ...")
    elapsed_ms: float
    certificate: dict[str, Any] | None = Field(
        description="Re-checkable evidence (check_certificate); null unless detail is full."
    )
    counterexample: dict[str, Any] | None = Field(
        description="For refuted claims: an exact assignment (and the values of both sides)."
    )
    message: str
    details: dict[str, Any] | None = Field(
        default=None, description="For invalid claims: line, column, expected tokens, found."
    )


class VerifyClaimsResult(BaseModel):
    """The verdicts of `verify_claims`, in input order, and their tally."""

    verdicts: list[VerdictOut]
    counts: dict[Status, int] = Field(description="How many claims got each status.")
    all_proved: bool = Field(description="True when every claim was proved.")
    elapsed_ms: float


class CheckAnswerResult(BaseModel):
    """Whether `prediction` is the same answer as `gold` (`EquivalenceResult.to_json`)."""

    gold: str
    prediction: str
    equivalent: bool | None = Field(description="true (proved), false (refuted) or null (undecided).")
    status: Status
    backend: str
    elapsed_ms: float
    certificate: dict[str, Any] | None = Field(
        description="Re-checkable evidence (check_certificate); null unless detail is full."
    )
    counterexample: dict[str, Any] | None = Field(
        description="For non-equivalent answers: the refuting component and exact values."
    )
    message: str


class Obligation(BaseModel):
    """One proved obligation of a final answer, with its certificate."""

    role: str = Field(description="What it establishes, e.g. solves / exists / domain rules.")
    claim: str
    backend: str
    certificate: dict[str, Any] | None = Field(description="Its certificate; null unless detail is full.")


class SolveTaskResult(BaseModel):
    """What `solve_task` found: the answers and whether (and how) they are verified."""

    task: dict[str, Any] = Field(description="The task as the engine read it (defaults filled in).")
    answers: list[str]
    verified: bool = Field(description="The final answer was proved against the task's rules.")
    status: Status
    message: str
    certificates: list[Obligation] = Field(description="The answer's obligations and their certificates.")
    metrics: dict[str, Any] = Field(description="Critical path, concurrency, forks, re-dispatches, ...")
    elapsed_s: float
    bundle: dict[str, Any] | None = Field(
        default=None,
        description="The proof bundle (with include_bundle); re-check it with check_certificate.",
    )


class CheckedItem(BaseModel):
    """One re-checked item of a proof bundle."""

    item: str
    ok: bool
    message: str


class CertificateCheckResult(BaseModel):
    """The outcome of re-checking a certificate or a proof bundle from scratch."""

    ok: bool = Field(description="True only when everything re-checked.")
    checked: Literal["certificate", "bundle"]
    kind: str | None = Field(default=None, description="The certificate's kind (for a certificate).")
    claim: str | None = Field(default=None, description="The claim the certificate is about, if any.")
    message: str
    checks: dict[str, str] = Field(
        default_factory=dict, description="What each checker said (z3, cvc5, ...)."
    )
    failed: str | None = Field(default=None, description="For a bundle: the first item that failed.")
    items: list[CheckedItem] = Field(default_factory=list, description="For a bundle: every item checked.")


# ------------------------------------------------------------------ argument types

Claims = Annotated[
    list[Annotated[str, Field(max_length=MAX_TEXT_CHARS)]],
    Field(
        min_length=1,
        max_length=MAX_CLAIMS,
        description=f"Claims in the claim language ({CLAIM_LANGUAGE_URI}), one per string; "
        f"at most {MAX_CLAIMS}.",
    ),
]
Budget = Annotated[
    float,
    Field(gt=0, le=MAX_BUDGET_S, description=f"Seconds per claim, in (0, {MAX_BUDGET_S:g}]."),
]
DetailArg = Annotated[
    Detail,
    Field(
        description="summary (default): statuses, answers, counterexamples and messages; "
        "full: also every certificate (and for solve_task the proof bundle)."
    ),
]
AnswerText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TEXT_CHARS, description="An answer in LaTeX or plain text."),
]


# ------------------------------------------------------------------ the work (sync, in threads)


def _verify_claims(claims: list[str], budget_s: float, detail: Detail = "full") -> VerifyClaimsResult:
    """Verify claims one after another; past MAX_CALL_S the rest are `unknown`."""
    started = time.perf_counter()
    verdicts: list[VerdictOut] = []
    for claim in claims:
        left = MAX_CALL_S - (time.perf_counter() - started)
        if left <= 0.05:
            shown = claim if len(claim) <= 200 else claim[:200] + "..."
            verdict = unknown(shown, "budget", f"the call's total budget of {MAX_CALL_S:g} s ran out")
        else:
            verdict = verify(claim, budget_s=min(budget_s, left))
        data = verdict.to_json()
        if detail == "summary":
            data["certificate"] = None
        verdicts.append(VerdictOut.model_validate(data))
    counts: dict[Status, int] = {"proved": 0, "refuted": 0, "unknown": 0, "invalid": 0}
    for verdict in verdicts:
        counts[verdict.status] += 1
    return VerifyClaimsResult(
        verdicts=verdicts,
        counts=counts,
        all_proved=counts["proved"] == len(verdicts),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def _check_answer(gold: str, prediction: str, budget_s: float, detail: Detail = "full") -> CheckAnswerResult:
    data = equivalent(gold, prediction, budget_s=budget_s).to_json()
    if detail == "summary":
        data["certificate"] = None
    return CheckAnswerResult.model_validate(data)


def _solve_task(
    task: dict[str, Any],
    budget_s: float,
    capacity: int,
    seed: int,
    include_bundle: bool,
    detail: Detail = "full",
) -> SolveTaskResult:
    result = solve(
        task,
        capacity=capacity,
        seed=seed,
        out=False,
        budget_s=budget_s,
        verify_budget_s=min(VERIFY_BUDGET_S, budget_s),
    )
    data = result.to_json()
    bundle = None
    full = detail == "full"
    if (include_bundle or full) and result.run is not None:
        bundle = build_bundle(result.run)
    return SolveTaskResult(
        task=data["task"],
        answers=data["answers"],
        verified=data["verified"],
        status=data["status"],
        message=data["message"],
        certificates=[
            Obligation.model_validate(c if full else {**c, "certificate": None}) for c in data["certificates"]
        ],
        metrics=data["metrics"],
        elapsed_s=data["elapsed_s"],
        bundle=bundle,
    )


def _check(data: dict[str, Any], use_cvc5: bool) -> CertificateCheckResult:
    if is_bundle(data):
        report = check_bundle(data, use_cvc5=use_cvc5, budget_s=MAX_CALL_S).to_json()
        return CertificateCheckResult(
            ok=report["ok"],
            checked="bundle",
            message=report["message"],
            failed=report["failed"],
            items=[CheckedItem.model_validate(item) for item in report["items"]],
        )
    cert = data if "kind" in data else data.get("certificate")
    if not isinstance(cert, dict):
        raise ToolError(
            "no certificate found: pass a certificate (an object with 'kind'), a verdict or "
            "check_answer result that carries one under 'certificate', or a proof bundle "
            "(format reasoning.bundle/1)"
        )
    # a verdict or result: its recorded status must be the one its certificate establishes
    sealed = states_a_verdict(data)
    report = check_verdict(data, use_cvc5=use_cvc5) if sealed else check_certificate(cert, use_cvc5=use_cvc5)
    claim = cert.get("claim")
    return CertificateCheckResult(
        ok=report.ok,
        checked="certificate",
        kind=str(cert.get("kind")),
        claim=claim if isinstance(claim, str) else None,
        message=report.message,
        checks={str(k): str(v) for k, v in report.checks.items()},
    )


def _domains() -> str:
    """The registered domains and their task fields, as JSON text."""
    listing = []
    for name in names():
        domain = get(name)
        listing.append(
            {
                "domain": name,
                "summary": domain.summary,
                "fields": {
                    field: {
                        "kind": spec.kind,
                        "help": spec.help,
                        "required": spec.required,
                        "default": spec.default,
                    }
                    for field, spec in domain.fields.items()
                },
            }
        )
    plain = {
        "text": "the statement",
        "unknowns": 'name -> "Int" or "Real"',
        "constraints": "claims over the unknowns, in the claim language",
        "goal": '{"kind": "find", "unknowns": [...], "unique": bool} | {"kind": "all", "unknowns": [...]} '
        '| {"kind": "decide", "claim": CLAIM} (default: find every unknown)',
    }
    return json.dumps({"domains": listing, "plain_task": plain}, indent=1, default=str)


# ------------------------------------------------------------------ the server

_T = TypeVar("_T")


def _package_version() -> str:
    try:
        return version("reasoning")
    except PackageNotFoundError:
        return ""


def build_server(
    *, max_concurrent: int = DEFAULT_MAX_CONCURRENT, log_level: LogLevel = "WARNING"
) -> MCPServer:
    """A new MCP server with the four tools and the two resources (see the module docstring).

    `max_concurrent` bounds the CPU-bound calls running at once; further calls wait.
    `log_level` is the SDK's logging level (logs go to stderr, never to the stdio wire).
    """
    if not isinstance(max_concurrent, int) or isinstance(max_concurrent, bool) or max_concurrent < 1:
        raise ValueError(f"max_concurrent must be a positive int, got {max_concurrent!r}")
    server: MCPServer = MCPServer(
        "reasoning",
        title="reasoning: a sound verifier for math claims, answers and tasks",
        instructions=INSTRUCTIONS,
        version=_package_version(),
        log_level=log_level,
    )
    gate = asyncio.Semaphore(max_concurrent)
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

    async def offload(fn: Callable[..., _T], *args: Any) -> _T:
        """Run CPU work in a thread; misuse errors from the engine become tool errors."""
        async with gate:
            try:
                return await asyncio.to_thread(fn, *args)
            except ReasoningError as exc:  # InvalidArgument, TaskError: the caller's mistake
                raise ToolError(str(exc)) from exc

    def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register `fn` as a read-only tool; its description is its docstring without the
        indentation the source gives it."""
        description = inspect.cleandoc(fn.__doc__ or "")
        return server.tool(annotations=read_only, structured_output=True, description=description)(fn)

    @tool
    async def verify_claims(
        claims: Claims, budget_s: Budget = LIMITS.default_budget_s, detail: DetailArg = "summary"
    ) -> VerifyClaimsResult:
        """Verify claims in the claim language (read reasoning://claim-language first).

        Each claim gets a verdict: proved, refuted (with an exact counterexample), unknown
        (budget or fragment) or invalid (with line, column and expected tokens); with
        detail=full also a certificate that check_certificate re-checks. Claims too large to
        compute are unknown at once; the whole call is bounded by 120 s.
        """
        return await offload(_verify_claims, claims, budget_s, detail)

    @tool
    async def check_answer(
        gold: Annotated[AnswerText, Field(description="The reference answer (LaTeX or plain text).")],
        prediction: Annotated[AnswerText, Field(description="The answer to grade (LaTeX or plain text).")],
        budget_s: Budget = LIMITS.default_budget_s,
        detail: DetailArg = "summary",
    ) -> CheckAnswerResult:
        """Decide whether `prediction` is mathematically the same answer as `gold`.

        `equivalent` is true only when proved, false only with a refutation or a structural
        mismatch (e.g. 1/2^99 vs 1/2^98, a set vs a tuple), otherwise null. Accepts LaTeX
        (\\boxed, \\frac, sets, intervals, tuples, x = 5, percents, degrees, units) and plain text.
        """
        return await offload(_check_answer, gold, prediction, budget_s, detail)

    @tool
    async def solve_task(
        task: Annotated[
            task_model(),  # type: ignore[valid-type]
            Field(
                description='A domain task {"domain": NAME, ...that domain\'s fields} or a plain task '
                '{"text", "unknowns", "constraints", "goal"} (see reasoning://domains).'
            ),
        ],
        budget_s: Annotated[
            float,
            Field(gt=0, le=MAX_SOLVE_S, description=f"Seconds for the whole run, in (0, {MAX_SOLVE_S:g}]."),
        ] = LIMITS.default_solve_budget_s,
        capacity: Annotated[
            int, Field(ge=1, le=16, description="Engine capacity: forks running at once.")
        ] = 4,
        seed: Annotated[
            int, Field(ge=0, le=2**32 - 1, description="Seed of the run (same seed, same trace).")
        ] = 0,
        include_bundle: Annotated[
            bool, Field(description="Also return the proof bundle (re-checkable with check_certificate).")
        ] = False,
        detail: DetailArg = "summary",
        workers: Annotated[
            int | None,
            Field(ge=1, le=16, description="Deprecated: use capacity (if given, it is the capacity)."),
        ] = None,
    ) -> SolveTaskResult:
        """Solve a task with the fork/join engine; every answer is verified against the task.

        A plain task states its `goal`: `find` (values for named unknowns; `unique` also proves
        they are the only solution), `all` (every solution, completeness proved) or `decide` (a
        claim, proved or refuted); text alone, or an unknown its constraints leave free, is
        never answered proved. Its forks are typed sub-queries: `evaluate: E` (wants `E = value`),
        `solve: ... for x` (`x = value`), `all: ... for x`, `prove: C` (C itself).

        Returns the answers, whether the final answer is proved (`verified`), its obligations
        (with their certificates and the proof bundle when detail=full) and the run's metrics.
        A malformed task is an error naming the field; an unsolvable one is not (its status and
        message say so).
        """
        data = task_dict(task)
        if workers is not None:  # the deprecated spelling of capacity, kept for older clients
            capacity = workers
        return await offload(_solve_task, data, budget_s, capacity, seed, include_bundle, detail)

    @tool
    async def check_certificate(
        certificate: Annotated[
            dict[str, Any],
            Field(
                description="A certificate (an object with 'kind'), a verdict or check_answer "
                "result carrying one under 'certificate', or a proof bundle (format reasoning.bundle/1)."
            ),
        ],
        use_cvc5: Annotated[
            bool, Field(description="Also re-solve SMT scripts with cvc5 when installed.")
        ] = True,
    ) -> CertificateCheckResult:
        """Re-check a certificate or a whole proof bundle from its JSON alone, in fresh solvers.

        Trusts nothing the producer concluded: the claim is re-parsed and the evidence re-derived
        (exact re-evaluation, a fresh Z3 and cvc5, a fresh SymPy worker). `ok` is false, with the
        reason, when anything fails to re-check.
        """
        size = len(json.dumps(certificate, default=str))
        if size > MAX_CHECK_CHARS:
            raise ToolError(f"the certificate is {size} characters as JSON; the limit is {MAX_CHECK_CHARS}")
        return await offload(_check, certificate, use_cvc5)

    @server.resource(
        CLAIM_LANGUAGE_URI,
        name="claim-language",
        title="The claim language",
        description="Syntax, verdicts, certificates and answer formats of the verifier: read before writing claims.",
        mime_type="text/markdown",
    )
    def claim_language() -> str:
        return CLAIM_LANGUAGE

    @server.resource(
        DOMAINS_URI,
        name="domains",
        title="Task domains",
        description="The task domains solve_task accepts, with their fields.",
        mime_type="application/json",
    )
    async def domains() -> str:
        return await asyncio.to_thread(_domains)

    return server


# ------------------------------------------------------------------ streamable HTTP


def http_app(
    server: MCPServer, *, host: str = "127.0.0.1", path: str = "/mcp", token: str | None = None
) -> Any:
    """The streamable-HTTP ASGI app of `server` at `path`, behind `BearerAuth` when `token` is set.

    Refuses (InvalidArgument, a ValueError) a non-loopback `host` without a token, and a token that
    is empty or not header-safe: the tools spend CPU on request (the rule of
    `reasoning.service._auth`). On loopback the SDK also turns on DNS-rebinding protection.
    """
    if token is not None:
        validate_token(token)
    require_token_off_loopback(host, token)
    app = server.streamable_http_app(streamable_http_path=path, host=host)
    return BearerAuth(app, token=token) if token is not None else app
