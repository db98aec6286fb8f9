"""`ScriptedBackend`: a test double that replays fixed text. Never the default of anything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

from reasoning.llm._base import Delta, Prompt, StopScanner, StreamingBackend, check_params, check_prompt


class ScriptedBackend(StreamingBackend):
    """Test double: answer k replays `replies[k]` (the last one repeats), or `replies(messages)`
    when it is a function. Each whitespace-separated word streams as one token; `delay_s` is slept
    before each. Honours `max_tokens` and `stop` like a real backend; keeps every prompt in `prompts`.
    An exception instance as a reply is raised.
    """

    def __init__(
        self,
        replies: Sequence[str | BaseException] | Callable[[list[dict[str, str]]], str],
        *,
        delay_s: float = 0.0,
        name: str = "scripted",
        prompt_tokens: int = 10,
    ) -> None:
        self.replies = replies if callable(replies) else list(replies)
        self.delay_s = delay_s
        self.name = name
        self.prompt_tokens = prompt_tokens
        self.prompts: list[list[dict[str, str]]] = []

    def _reply(self, messages: list[dict[str, str]]) -> str | BaseException:
        if callable(self.replies):
            return self.replies(messages)
        index = min(len(self.prompts) - 1, len(self.replies) - 1)
        return self.replies[index] if self.replies else ""

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> AsyncIterator[Delta]:
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        self.prompts.append(messages)
        reply = self._reply(messages)
        if isinstance(reply, BaseException):
            raise reply
        words = reply.split(" ")
        scanner = StopScanner(stop)
        finish, pending = "stop", 0
        for i, word in enumerate(words):
            if i >= max_tokens:
                finish = "length"
                break
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            text = scanner.feed(word if i == 0 else " " + word)
            pending += 1
            if text:
                yield Delta(text, pending)
                pending = 0
            if scanner.stopped:
                break
        tail = scanner.flush()
        yield Delta(tail, pending, finish_reason=finish, prompt_tokens=self.prompt_tokens)
