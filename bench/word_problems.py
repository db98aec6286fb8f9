"""Word problems by formalization (issue 16, item 4) on reasoning-gym's word-problem tasks,
scored by reasoning-gym's own `score_answer`.

Each item's question goes to `reasoning.engine._formalize.solve_word_problem` (the model writes the formal
task, the symbolic workers solve it, the verifier proves the answer against it); the value it
reports (the asked unknown's) is scored. Per task: how many formalizations parsed, how many
answers were verified against their formalization, the mean reasoning-gym score over all items
and over the verified ones (a verified answer can still be wrong: the formalization may not say
what the words say), and seconds per item.

Tasks (reasoning-gym 0.1.25 has no other word-problem task that states one numeric unknown):
`gsm_symbolic` (GSM8K-style stories), `simple_equations` ("Solve for e: 56 - 98*e = -1218"),
`leg_counting` (animals and legs).

Models:
- `--model local` (default): the packaged SmolLM2-135M-Instruct. Expect little.
- `--model openai:http://host:port/v1/MODEL[#grammar=vllm|llamacpp]`: any OpenAI-compatible server.
- `--scripted`: a loopback OpenAI-compatible server whose replies come from a rule-based
  formalizer (a TEST DOUBLE, not a model: it formalizes `simple_equations` items by pattern and
  answers nonsense to the others), to exercise the whole `openai:` path with no model and no
  internet. Its figures measure the pipeline, not a model.

Run:
    .venv/bin/python bench/word_problems.py [--n 20] [--tasks gsm_symbolic simple_equations]
        [--model SPEC | --scripted] [--samples 1] [--seed 0] [--worker-timeout 120] [--json]

Exit status 0 regardless.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import reasoning_gym  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response, StreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from reasoning.engine._formalize import VERIFIED, solve_word_problem  # noqa: E402
from reasoning.engine._solve import load_model  # noqa: E402
from reasoning.service._background import serve_asgi  # noqa: E402

TASKS = ("gsm_symbolic", "simple_equations", "leg_counting")
_EQUATION = re.compile(
    r"(?:Solve for ([A-Za-z])|Find the value of ([A-Za-z]) in the equation"
    r"|Determine the value of ([A-Za-z]) that satisfies):\s*(.+?)\s*$"
)


def rule_based_formalizer(problem: str) -> str:
    """TEST DOUBLE (not a model): the formalization of a `simple_equations` question by pattern;
    a sentence that formalizes nothing for anything else."""
    match = _EQUATION.search(problem)
    if match is None:
        return "I cannot formalize this problem."
    *names, equation = match.groups()
    name = next(n for n in names if n)
    return f"unknown {name}: Real\nconstraint: {equation}\nfind: {name}"


def scripted_app() -> Starlette:
    """An OpenAI-compatible server (chat completions, streamed; models) around the rule-based double."""

    async def completions(request: Request) -> Response:
        body = await request.json()
        question = body["messages"][-1]["content"].removeprefix("Problem: ")
        text = rule_based_formalizer(question)

        async def events():
            chunk = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk)}\n\n"
            done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            yield f"data: {json.dumps(done)}\n\n"
            usage = {"choices": [], "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split())}}
            yield f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "rule-based-double", "object": "model"}]})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )


def evaluate(
    task: str, backend: Any, *, n: int, seed: int, samples: int, budget_s: float, worker_timeout_s: float
) -> dict[str, Any]:
    """One reasoning-gym task: every item formalized, solved and scored."""
    dataset = reasoning_gym.create_dataset(task, size=n, seed=seed)
    items = []
    for index in range(n):
        entry = dataset[index]
        started = time.perf_counter()
        result = solve_word_problem(
            entry["question"],
            model=backend,
            samples=samples,
            seed=seed + index,
            out=False,
            budget_s=budget_s,
            worker_timeout_s=worker_timeout_s,
        )
        score = float(dataset.score_answer(result.value, entry)) if result.value is not None else 0.0
        print(
            f"{task} #{index}: {result.status}, value {result.value}, gold {entry['answer']}, score {score:g}, "
            f"{time.perf_counter() - started:.1f} s; "
            + "; ".join(
                s.rejection.reason if s.rejection else f"formalized: {s.formalization.text!r}"
                for s in result.samples
            )
            + f"; reply: {result.samples[0].reply[:160]!r}",
            file=sys.stderr,
            flush=True,
        )
        items.append(
            {
                "index": index,
                "status": result.status,
                "parsed": result.formalization is not None,
                "verified": result.status == VERIFIED,
                "value": result.value,
                "gold": entry["answer"],
                "score": score,
                "seconds": time.perf_counter() - started,
                "model_s": result.model_s,
            }
        )
    verified = [i for i in items if i["verified"]]
    return {
        "task": task,
        "n": n,
        "parsed": sum(i["parsed"] for i in items),
        "verified": len(verified),
        "score": statistics.fmean(i["score"] for i in items),
        "score_verified": statistics.fmean(i["score"] for i in verified) if verified else None,
        "seconds_per_item": statistics.fmean(i["seconds"] for i in items),
        "model_s_per_item": statistics.fmean(i["model_s"] for i in items),
        "items": items,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS[:2]), choices=TASKS)
    parser.add_argument("--model", default="local")
    parser.add_argument(
        "--scripted", action="store_true", help="the rule-based test double over loopback HTTP"
    )
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per item's solve")
    parser.add_argument("--worker-timeout", type=float, default=120.0, help="seconds per model request")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        spec = args.model
        if args.scripted:
            url = stack.enter_context(serve_asgi(scripted_app(), host="127.0.0.1"))
            spec = f"openai:{url}/v1/rule-based-double"
        started = time.perf_counter()
        backend, _ = load_model(spec)
        load_s = time.perf_counter() - started
        stack.callback(backend.close)
        rows = [
            evaluate(
                task,
                backend,
                n=args.n,
                seed=args.seed,
                samples=args.samples,
                budget_s=args.budget,
                worker_timeout_s=args.worker_timeout,
            )
            for task in args.tasks
        ]
    label = "rule-based TEST DOUBLE over openai:" if args.scripted else spec
    if args.json:
        print(json.dumps({"model": label, "load_s": load_s, "rows": rows}, indent=1))
        return
    print(f"model: {label} (loaded in {load_s:.1f} s); samples per item: {args.samples}; seed {args.seed}")
    print(
        f"{'task':18} {'n':>3} {'parsed':>7} {'verified':>9} {'RG score':>9} {'score|verified':>15} {'s/item':>7}"
    )
    for row in rows:
        verified_score = "-" if row["score_verified"] is None else f"{row['score_verified']:.2f}"
        print(
            f"{row['task']:18} {row['n']:3} {row['parsed']:7} {row['verified']:9} {row['score']:9.2f} "
            f"{verified_score:>15} {row['seconds_per_item']:7.2f}"
        )


if __name__ == "__main__":
    main()
