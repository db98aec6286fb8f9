"""`LocalBackend`: a transformers model on this machine, with dynamic batching.

The model loads once (lazily on the first request, in a worker thread so the event loop never
blocks, or eagerly with `load()`), then one decode thread serves every request from every event
loop: each request carries its own loop, so `asyncio.run` per solve is fine.

Grammars: `stream(..., grammar=G)` and `generate(..., grammar=G, n=K)` decode under G (llguidance
token masks, `reasoning.llm._constrained`); the K samples of one `generate` call are one group in
the decode loop: one prefill of the prompt, K rows with seeds `seed`..`seed + K - 1`.
`load_info.seconds` is the model's load time, reported apart from any run's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from reasoning.llm._base import (
    BackendError,
    Delta,
    Generation,
    Prompt,
    StreamingBackend,
    check_params,
    check_prompt,
    check_sampling,
    merge_samples,
)
from reasoning.llm._batching import DynamicBatcher, Request
from reasoning.llm._local_model import LoadInfo, default_model_file, load, model_name


class LocalBackend(StreamingBackend):
    """The `local` backend: `path` is None (the packaged SmolLM2-135M-Instruct), a .gguf file
    (converted once into `cache_dir`) or a local HF model directory.

    `batching=False` serves one request at a time (max_batch 1); otherwise up to `max_batch`
    concurrent requests share each forward pass. `threads` sets torch's intra-op threads for the
    decode loop (None: torch's default, one per core).
    """

    supports_grammar = True

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        cache_dir: str | os.PathLike | None = None,
        batching: bool = True,
        max_batch: int = 8,
        threads: int | None = None,
    ) -> None:
        if not isinstance(max_batch, int) or isinstance(max_batch, bool) or max_batch < 1:
            raise BackendError(f"max_batch must be a positive int, got {max_batch!r}")
        if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
            raise BackendError(f"threads must be None or a positive int, got {threads!r}")
        self.path = None if path is None else os.fspath(path)
        self.cache_dir = cache_dir
        self.max_batch = max_batch if batching else 1
        self.batching = batching
        self.threads = threads
        self.name = f"local:{self._guess_name()}"
        self.load_info: LoadInfo | None = None
        self._batcher = None
        self._lock = threading.Lock()
        self._closed = False

    def _guess_name(self) -> str:
        if self.path is not None:
            return model_name(Path(self.path).expanduser())
        try:
            return model_name(default_model_file())
        except BackendError:
            return "SmolLM2-135M-Instruct"

    def load(self) -> LoadInfo:
        """Load the model now (once; thread-safe) and start the decode loop; returns how it loaded."""
        with self._lock:
            if self._closed:
                raise BackendError("the local backend is closed", kind="unavailable")
            if self._batcher is None:
                model, tokenizer, info = load(self.path, self.cache_dir)
                self.name = f"local:{info.name}"
                self._batcher = DynamicBatcher(
                    model, tokenizer, max_batch=self.max_batch, name=info.name, threads=self.threads
                )
                started = time.perf_counter()
                # The grammar masks' tokenizer (~0.5 s) belongs to the load, not to the first run;
                # without llguidance or a fast tokenizer there are no grammars (requests say so).
                with contextlib.suppress(ImportError, BackendError):
                    self._batcher.masks()
                info = dataclasses.replace(info, seconds=info.seconds + time.perf_counter() - started)
                self.load_info = info
            return self.load_info

    def stats(self) -> dict[str, float]:
        """The decode loop's counters (requests, tokens, steps, batch sizes); empty before loading."""
        return self._batcher.stats() if self._batcher is not None else {}

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
        grammar: str | None = None,
    ) -> AsyncIterator[Delta]:
        """Stream a completion (under `grammar` when given); closing the stream early cancels it
        and frees its batch row."""
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        check_sampling(grammar, 1)
        batcher = await self._ready()
        results: asyncio.Queue = asyncio.Queue()
        request = batcher.submit(
            messages,
            max_tokens=max_tokens,
            stop=stop,
            temperature=float(temperature),
            seed=seed,
            loop=asyncio.get_running_loop(),
            results=results,
            grammar=grammar,
        )
        try:
            async for item in _drain(results):
                yield item
        finally:
            request.cancel()

    async def _ready(self):
        if self._batcher is None:
            await asyncio.to_thread(self.load)
        batcher = self._batcher
        if batcher is None:
            raise BackendError("the local backend is closed", kind="unavailable")
        return batcher

    async def generate(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
        grammar: str | None = None,
        n: int = 1,
    ) -> Generation:
        """`n` samples of one prompt (seeds `seed`, `seed + 1`, ...), each under `grammar` when
        given, decoded together: one prefill, `n` rows of the batch."""
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        check_sampling(grammar, n)
        batcher = await self._ready()
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        requests = [
            Request(
                messages,
                max_tokens,
                stop,
                float(temperature),
                seed + i,
                loop,
                asyncio.Queue(),
                grammar=grammar,
            )
            for i in range(n)
        ]
        batcher.submit_group(requests)
        try:
            gens = await asyncio.gather(*(_collect(r.results, self.name, started) for r in requests))
        finally:
            for request in requests:
                request.cancel()
        merged = merge_samples(gens, constrained=grammar is not None)
        return merged if n > 1 else dataclasses.replace(merged, texts=(), finish_reasons=())

    def close(self) -> None:
        """Stop the decode thread; requests in flight fail with BackendError(kind="unavailable")."""
        with self._lock:
            self._closed = True
            batcher, self._batcher = self._batcher, None
        if batcher is not None:
            batcher.close()


async def _drain(results: asyncio.Queue) -> AsyncIterator[Delta]:
    while True:
        item = await results.get()
        if isinstance(item, BaseException):
            raise item
        yield item
        if item.finish_reason is not None:
            return


async def _collect(results: asyncio.Queue, model: str, started: float) -> Generation:
    parts: list[str] = []
    tokens, prompt_tokens, finish = 0, 0, "stop"
    async for delta in _drain(results):
        parts.append(delta.text)
        tokens += delta.tokens
        if delta.prompt_tokens is not None:
            prompt_tokens = delta.prompt_tokens
        if delta.finish_reason is not None:
            finish = delta.finish_reason
    return Generation("".join(parts), prompt_tokens, tokens, finish, model, time.perf_counter() - started)
