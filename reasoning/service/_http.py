"""The HTTP API: `create_app(settings)` builds the FastAPI app that `reason serve` runs.

Routes (all JSON; the OpenAPI document is at /openapi.json, the interactive one at /docs):

- `POST /v1/verify`: claims in the claim language, each within a per-claim budget;
- `POST /v1/equiv`: answer pairs (gold, prediction), one or a batch;
- `POST /v1/check`: a certificate, a batch of certificates, or a proof bundle, re-checked;
- `POST /v1/solve`: a task (per-domain schemas, or a plain task with a goal), solved by the
  engine; answers come with certificates; a task the engine cannot read is status `invalid`;
- `GET /healthz`: liveness and load (no auth).

Every verification runs in a process pool (`reasoning.service._jobs`) that survives a worker that
dies or hangs: that job comes back `unknown`, the other requests are not held up. Auth, body size
and concurrency limits are enforced before a handler runs (`reasoning.service._limits`); claim
counts, claim lengths and budgets by the handlers. Every error answer is a JSON `ErrorBody`
(`{"error": code, "message": ..., "details": ...}`); a client never sees a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http import HTTPStatus
from importlib import metadata
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException

from reasoning.engine._task_schema import task_dict
from reasoning.service._auth import BearerAuth
from reasoning.service._background import serve_asgi
from reasoning.service._jobs import (
    JobPool,
    check_bundle_job,
    check_certificate_job,
    equiv_job,
    unknown_equivalence,
    unknown_verdict,
    verify_job,
    why_failed,
)
from reasoning.service._limits import GUARDED_PREFIX, RequestGate, RequestGuard, Settings, error_body
from reasoning.service._solve_job import solve_job
from reasoning.service._wire import (
    CheckRequest,
    CheckResponse,
    EquivRequest,
    EquivResponse,
    ErrorBody,
    HealthResponse,
    SolveRequest,
    SolveResponse,
    VerifyRequest,
    VerifyResponse,
    tighten_openapi,
)

log = logging.getLogger("reasoning.service._http")

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed JSON."},
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token."},
    408: {"model": ErrorBody, "description": "The body arrived too slowly."},
    413: {"model": ErrorBody, "description": "Body too large, or too many claims in one request."},
    415: {"model": ErrorBody, "description": "The body is not JSON."},
    422: {
        "model": ErrorBody,
        "description": "The request does not match this document: a field, a budget or text above the cap.",
    },
    429: {"model": ErrorBody, "description": "Too many requests at once; retry later."},
}


class ApiError(Exception):
    """A refusal with a status, a stable code and a message (becomes an ErrorBody answer)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def _version() -> str:
    try:
        return metadata.version("reasoning")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _error(
    status: int, code: str, message: str, details: Any = None, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        for error in errors:
            if error.get("type") == "json_invalid":
                position = error.get("loc", ("body", "?"))[-1]
                why = (error.get("ctx") or {}).get("error", "JSON decode error")
                return _error(
                    400, "malformed_json", f"the body is not valid JSON: {why} at character {position}"
                )
        details = [
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "msg": error.get("msg", ""),
                "type": error.get("type"),
            }
            for error in errors
        ]
        message = "; ".join(f"{'.'.join(d['loc'][1:] or d['loc'])}: {d['msg']}" for d in details)
        return _error(422, "invalid_request", message or "invalid request", details)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        try:
            code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        except ValueError:
            code = "http_error"
        return _error(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, "internal_error", "internal error (the server log has the details)")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app for `settings` (default: loopback, no token, one process per CPU up to 8).

    The app owns a process pool (`settings.workers` processes), started and stopped by its
    lifespan; `app.state.pool`, `app.state.gate` and `app.state.settings` are there for inspection.
    """
    settings = settings or Settings()
    pool = JobPool(
        workers=settings.workers, memory_mb=settings.worker_memory_mb, kill_slack_s=settings.kill_slack_s
    )
    gate = RequestGate(limit=settings.max_concurrent, queue=settings.max_queue, wait_s=settings.queue_wait_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="reasoning",
        version=_version(),
        summary="Verified reasoning: claims, answer equivalence, certificates and tasks, checked by "
        "exact arithmetic, Z3 or SymPy.",
        lifespan=lifespan,
    )
    app.state.settings, app.state.pool, app.state.gate = settings, pool, gate

    def openapi() -> dict[str, Any]:
        """FastAPI's document (built once, cached) with this server's caps written in; writing
        them is idempotent (see `tighten_openapi`)."""
        return tighten_openapi(FastAPI.openapi(app), settings)

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RequestGuard, settings=settings, gate=gate)
    # Added last, so outermost: a request without the token is refused before the RequestGuard's checks.
    app.add_middleware(
        BearerAuth,
        token=settings.token,
        prefix=GUARDED_PREFIX,
        error_body=lambda message: error_body("unauthorized", message),
    )
    _install_error_handlers(app)
    guarded: dict[str, Any] = {"responses": _ERRORS}
    if settings.token is not None:  # documents the scheme; BearerAuth does the checking
        guarded["dependencies"] = [Depends(HTTPBearer(auto_error=False))]

    def budget(asked: float | None, default: float, cap: float, what: str) -> float:
        if asked is None:
            return default
        if asked > cap:
            raise ApiError(
                422, "budget_too_high", f"budget_s {asked:g} is above this server's limit of {cap:g} s {what}"
            )
        return float(asked)

    def count(n: int, what: str) -> None:
        if n > settings.max_claims:
            raise ApiError(
                413,
                "too_many_items",
                f"{n} {what} in one request; the limit is {settings.max_claims} (split the batch)",
            )

    def length(texts: list[str], what: str) -> None:
        for index, text in enumerate(texts):
            if len(text) > settings.max_claim_chars:
                raise ApiError(
                    422,
                    "text_too_long",
                    f"{what} {index} has {len(text)} characters; the limit is {settings.max_claim_chars}",
                )

    @app.get("/healthz", response_model=HealthResponse, tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness and load; needs no token."""
        running = pool.running()
        return {
            "status": "ok",
            "version": app.version,
            "processes": pool.workers,
            "processes_running": running,
            "workers": pool.workers,  # deprecated spelling of processes, kept for older clients
            "workers_running": running,
            "active_requests": gate.active,
            "queued_requests": gate.waiting,
            "auth": settings.token is not None,
        }

    @app.post("/v1/verify", response_model=VerifyResponse, tags=["verify"], **guarded)
    async def verify(request: VerifyRequest) -> dict[str, Any]:
        """Verify claims: proved, refuted (with a counterexample), unknown or invalid, with certificates."""
        start = time.perf_counter()
        count(len(request.claims), "claims")
        length(request.claims, "claim")
        seconds = budget(request.budget_s, settings.default_budget_s, settings.max_budget_s, "per claim")
        results = await pool.run_batch(verify_job, [(c, seconds) for c in request.claims], budget_s=seconds)
        verdicts = [
            r.value if r.ok and isinstance(r.value, dict) else unknown_verdict(c, r)
            for c, r in zip(request.claims, results)
        ]
        return {"verdicts": verdicts, "elapsed_ms": _elapsed_ms(start)}

    @app.post("/v1/equiv", response_model=EquivResponse, tags=["verify"], **guarded)
    async def equiv(request: EquivRequest) -> dict[str, Any]:
        """Judge whether each prediction is the same answer as its gold answer, with a certificate."""
        start = time.perf_counter()
        pairs = request.all_pairs()
        count(len(pairs), "pairs")
        length([p.gold for p in pairs], "gold answer")
        length([p.prediction for p in pairs], "prediction")
        seconds = budget(request.budget_s, settings.default_budget_s, settings.max_budget_s, "per pair")
        results = await pool.run_batch(
            equiv_job, [(p.gold, p.prediction, seconds) for p in pairs], budget_s=seconds
        )
        judged = [
            r.value if r.ok and isinstance(r.value, dict) else unknown_equivalence(p.gold, p.prediction, r)
            for p, r in zip(pairs, results)
        ]
        return {"results": judged, "elapsed_ms": _elapsed_ms(start)}

    @app.post("/v1/check", response_model=CheckResponse, tags=["verify"], **guarded)
    async def check(request: CheckRequest) -> dict[str, Any]:
        """Re-check certificates, or a whole proof bundle, from scratch."""
        seconds = budget(request.budget_s, settings.max_budget_s, settings.max_budget_s, "per certificate")
        if request.bundle is not None:
            [result] = await pool.run_batch(check_bundle_job, [(request.bundle,)], budget_s=seconds)
            if result.ok and isinstance(result.value, dict):
                return {"ok": result.value["ok"], "reports": [], "bundle": result.value}
            message = why_failed(result)
            failed = {"ok": False, "checked": 0, "failed": "bundle", "message": message, "items": []}
            return {"ok": False, "reports": [], "bundle": failed}
        certificates = (
            request.certificates if request.certificates is not None else [request.certificate or {}]
        )
        count(len(certificates), "certificates")
        results = await pool.run_batch(check_certificate_job, [(c,) for c in certificates], budget_s=seconds)
        reports = [
            r.value
            if r.ok and isinstance(r.value, dict)
            else {"ok": False, "message": why_failed(r), "checks": {}}
            for r in results
        ]
        return {"ok": all(r["ok"] for r in reports), "reports": reports, "bundle": None}

    @app.post("/v1/solve", response_model=SolveResponse, tags=["solve"], **guarded)
    async def solve(request: SolveRequest) -> dict[str, Any]:
        """Solve a task with the engine; every answer comes with its certificates (and the bundle if asked)."""
        seconds = budget(
            request.budget_s, settings.default_solve_budget_s, settings.max_solve_budget_s, "per run"
        )
        task = task_dict(request.task)
        args = (task, seconds, request.seed, request.capacity, request.include_bundle)
        [result] = await pool.run_batch(solve_job, [args], budget_s=seconds)
        if result.ok and isinstance(result.value, dict) and "error" not in result.value:
            return result.value
        invalid = result.ok and isinstance(result.value, dict)  # the engine could not read the task
        return {
            "task": task,
            "answers": [],
            "verified": False,
            "status": "invalid" if invalid else "unknown",
            "message": result.value.get("message", "invalid task") if invalid else why_failed(result),
            "certificates": [],
            "metrics": {},
            "bundle": None,
            "elapsed_s": round(result.elapsed_s, 6),
        }

    return app


@contextmanager
def serve_in_background(app: FastAPI | None = None, *, start_timeout_s: float = 30.0) -> Iterator[str]:
    """Serve `app` (default: `create_app(Settings(port=0))`) with uvicorn in a background thread;
    yields its base URL and stops it on exit.

    Binds the host and port of the app's settings (port 0: a free port). For tests, and for
    programs that want a verifier next to them.

    >>> with serve_in_background() as url:  # doctest: +SKIP
    ...     httpx.post(url + "/v1/verify", json={"claims": ["2^10 = 1024"]}).json()
    """
    app = app or create_app(Settings(port=0))
    settings: Settings = app.state.settings
    with serve_asgi(app, host=settings.host, port=settings.port, start_timeout_s=start_timeout_s) as url:
        yield url
