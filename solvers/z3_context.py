"""Where Z3 contexts come from: one module, so every user follows the same rules.

Z3 contexts are not thread-safe, and making one costs 10-20 ms (more in a new thread). Three
ways to get one:
- `thread_context()`: this thread's context, made once and reused (the usual case);
- `borrowed_context()`: an idle context borrowed for one check and given back (for work that
  runs in short-lived threads, where a per-thread context would be made again every time);
- `fresh_context()`: a brand-new context sharing nothing with any other (for re-checks, which
  must not depend on state the producer left behind, and for checks whose model or unsat core
  is shown: in a reused context Z3's choice follows the AST ids and state of earlier checks, so
  the same query would get another answer after another history).
`proofs.check` makes its own fresh contexts: `proofs` sits below `solvers`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import z3

_local = threading.local()
_idle: list[z3.Context] = []
_idle_lock = threading.Lock()
#: Most idle contexts kept for `borrowed_context`.
MAX_IDLE_CONTEXTS = 16


def thread_context() -> z3.Context:
    """This thread's Z3 context (contexts are not thread-safe; one per thread, reused)."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = z3.Context()
    return ctx


def fresh_context() -> z3.Context:
    """A new Z3 context that shares nothing with any other."""
    return z3.Context()


@contextlib.contextmanager
def borrowed_context() -> Iterator[z3.Context]:
    """An idle context (or a new one) for the duration of the `with` block, then kept for reuse.

    Every Z3 object made in it must be released before the block ends: the next borrower may
    be another thread."""
    with _idle_lock:
        ctx = _idle.pop() if _idle else None
    ctx = ctx or z3.Context()
    try:
        yield ctx
    finally:
        with _idle_lock:
            if len(_idle) < MAX_IDLE_CONTEXTS:
                _idle.append(ctx)
