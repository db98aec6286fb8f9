"""`LocalBackend`: a transformers model on this machine, with dynamic batching.

The model loads once (lazily on the first request, in a worker thread so the event loop never
blocks, or eagerly with `load()`), then one decode thread serves every request from every event
loop: each request carries its own loop, so `asyncio.run` per solve is fine.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from reasoning.llm.base import BackendError, Delta, Prompt, StreamingBackend, check_params, check_prompt
from reasoning.llm.batching import DynamicBatcher
from reasoning.llm.local_model import LoadInfo, default_model_file, load, model_name


class LocalBackend(StreamingBackend):
    """The `local` backend: `path` is None (the packaged SmolLM2-135M-Instruct), a .gguf file
    (converted once into `cache_dir`) or a local HF model directory.

    `batching=False` serves one request at a time (max_batch 1); otherwise up to `max_batch`
    concurrent requests share each forward pass.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        cache_dir: str | os.PathLike | None = None,
        batching: bool = True,
        max_batch: int = 8,
    ) -> None:
        if not isinstance(max_batch, int) or isinstance(max_batch, bool) or max_batch < 1:
            raise BackendError(f"max_batch must be a positive int, got {max_batch!r}")
        self.path = None if path is None else os.fspath(path)
        self.cache_dir = cache_dir
        self.max_batch = max_batch if batching else 1
        self.batching = batching
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
                self._batcher = DynamicBatcher(model, tokenizer, max_batch=self.max_batch, name=info.name)
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
    ) -> AsyncIterator[Delta]:
        """Stream a completion; closing the stream early cancels it and frees its batch row."""
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        if self._batcher is None:
            await asyncio.to_thread(self.load)
        batcher = self._batcher
        if batcher is None:
            raise BackendError("the local backend is closed", kind="unavailable")
        results: asyncio.Queue = asyncio.Queue()
        request = batcher.submit(
            messages,
            max_tokens=max_tokens,
            stop=stop,
            temperature=float(temperature),
            seed=seed,
            loop=asyncio.get_running_loop(),
            results=results,
        )
        try:
            while True:
                item = await results.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            request.cancel()

    def close(self) -> None:
        """Stop the decode thread; requests in flight fail with BackendError(kind="unavailable")."""
        with self._lock:
            self._closed = True
            batcher, self._batcher = self._batcher, None
        if batcher is not None:
            batcher.close()
