"""The shape the logic and knights_knaves symbolic workers share: a reply computed in a thread
(the solver call blocks) and streamed as one `Steps` chunk, `#` notes instead of exceptions, and a
polite refusal of a task of another domain."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from reasoning.engine._workers import Chunk, Steps, WorkerRequest


def note(*lines: str) -> str:
    """`#` note lines for a worker's RETURN body: one line each, at most 300 characters, and no
    `<` that could read as a tag."""
    return "\n".join("# " + " ".join(line.split()).replace("<", "< ")[:300] for line in lines)


class ThreadedDomainWorker(ABC):
    """A symbolic worker for one domain's sub-queries: `answer(task, query)` runs in a thread.

    Subclasses set `task_type` (the type of `problem.data` they answer for) and `refusal` (the
    note for any other task) and write `answer`."""

    task_type: ClassVar[type]
    refusal: ClassVar[str]

    def __init__(self, *, budget_s: float = 10.0) -> None:
        self.budget_s = float(budget_s)

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        text = await asyncio.to_thread(self.reply, request)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        """The whole `<RETURN>` block for `request`."""
        problem = request.task.problem
        if problem is None or not isinstance(problem.data, self.task_type):
            return "<RETURN>\n" + note(self.refusal) + "\n</RETURN>"
        return f"<RETURN>\n{self.answer(problem.data, request.query)}\n</RETURN>"

    @abstractmethod
    def answer(self, task: Any, query: str) -> str:
        """The RETURN body for `query`: claim lines, or notes."""
