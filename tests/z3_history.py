"""Perturbing Z3's history, to find answers that depend on what the process solved before.

Z3 hash-conses terms per context and hands out AST ids in creation order; a solver's choice of
model (and of unsat core) can follow those ids. So the same query can get a different model in a
context that solved other things first: in the full suite, not alone. `perturb_context(ctx, rng)`
makes a random number of fresh constants (some named like the suite's variables) and solves a few
small random problems in `ctx`, keeping some of the terms alive.

`--z3-perturb=SEED` (tests/conftest.py; off by default) does this before every test in every
context the product reuses: the main context, this thread's `thread_context()`, the idle contexts
of `borrowed_context()`; and when another thread
makes its `thread_context()`. `--z3-perturb-fresh` also perturbs every new context (fresh ones
are not reused, so their history is always the same in the product: expect noise).
The `z3_perturbed` fixture does the same for one test, whatever the options.
"""

from __future__ import annotations

import random
import threading
import types

import z3

#: Names the suite's claims use, so perturbing terms collide with the product's in the hash table.
NAMES = ("x", "y", "z", "a", "b", "c", "n", "m", "t", "k", "p", "q", "r", "s", "x1", "x2", "A", "B", "C")
#: Terms kept alive across tests (bounded), so later AST ids skip them.
_KEPT: list[z3.AstRef] = []
MAX_KEPT = 4000


def _term(rng: random.Random, consts: list[z3.ArithRef]) -> z3.ArithRef:
    a, b = rng.choice(consts), rng.choice(consts)
    c = rng.randint(-9, 9)
    shapes = (a * a + c * b, a - b + c, a * b - c, a + c, c * a * a - b, a * a * a + b)
    return shapes[rng.randrange(len(shapes))]


def perturb_context(ctx: z3.Context, rng: random.Random, solver: z3.Solver | None = None) -> None:
    """Make terms and solve a few random problems in `ctx` (and on `solver`, within a scope)."""
    for _ in range(rng.randint(0, 40)):  # bare constants: shift the id counter
        name = rng.choice(NAMES) + ("" if rng.random() < 0.5 else f"!{rng.randrange(10**6)}")
        const = rng.choice((z3.Int, z3.Real, z3.Bool))(name, ctx)
        if rng.random() < 0.3:
            _KEPT.append(const)
    for _ in range(rng.randint(0, 4)):
        integer = rng.random() < 0.5
        make = z3.Int if integer else z3.Real
        consts = [make(rng.choice(NAMES), ctx) for _ in range(rng.randint(1, 3))]
        goals = []
        for _ in range(rng.randint(1, 4)):
            lhs, rhs = _term(rng, consts), rng.randint(-20, 20)
            op = rng.choice(("eq", "le", "ge", "ne"))
            goals.append({"eq": lhs == rhs, "le": lhs <= rhs, "ge": lhs >= rhs, "ne": lhs != rhs}[op])
        if rng.random() < 0.3:
            goals = [z3.Or(goals)]
        if rng.random() < 0.4:  # propositional: the logic puzzles' contexts
            atoms = [z3.Bool(rng.choice(NAMES), ctx) for _ in range(rng.randint(1, 4))]
            goals = [z3.Or([a if rng.random() < 0.5 else z3.Not(a) for a in atoms]) for _ in range(3)]
        target = solver if solver is not None and rng.random() < 0.5 else z3.Solver(ctx=ctx)
        target.push()
        target.set("timeout", 50)
        target.add(*goals)
        if target.check() == z3.sat and rng.random() < 0.5:
            model = target.model()
            _KEPT.extend(model.eval(c, model_completion=True) for c in consts)
        target.pop()
        if rng.random() < 0.5:
            _KEPT.extend(goals)
    del _KEPT[:-MAX_KEPT]


class _PerturbedLocal(threading.local):
    """A `threading.local` whose `ctx` is made, and perturbed, the first time a thread reads it."""

    def __init__(self, seed: int) -> None:
        ctx = z3.Context()
        perturb_context(ctx, random.Random(f"{seed}:{threading.get_ident()}"))
        self.ctx = ctx


class Perturber:
    """Installs the perturbation (see the module docstring); `uninstall` puts everything back."""

    def __init__(self, seed: int, *, fresh: bool = False) -> None:
        import solvers.z3_context as z3_context

        self.seed = seed
        self._z3_context = z3_context
        self._saved = (z3_context._local, z3_context.z3)
        z3_context._local = _PerturbedLocal(seed)
        if fresh:
            counter = iter(range(10**9))

            def context() -> z3.Context:
                ctx = z3.Context()
                perturb_context(ctx, random.Random(f"{seed}:fresh:{next(counter)}"))
                return ctx

            z3_context.z3 = types.SimpleNamespace(Context=context)

    def before(self, test_id: str) -> None:
        """Perturb every reused context, seeded by the seed and the test's id."""
        rng = random.Random(f"{self.seed}:{test_id}")
        perturb_context(z3.main_ctx(), rng)
        perturb_context(self._z3_context.thread_context(), rng)
        with self._z3_context._idle_lock:
            idle = list(self._z3_context._idle)
        for ctx in idle:
            perturb_context(ctx, rng)
        # the order in which idle contexts are handed out is history too
        with self._z3_context._idle_lock:
            rng.shuffle(self._z3_context._idle)

    def uninstall(self) -> None:
        self._z3_context._local, self._z3_context.z3 = self._saved
