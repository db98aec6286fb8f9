"""Dynamic batching: one thread owns the model and runs the decode loop for every request.

At every step the loop admits waiting requests (up to `max_batch` rows): their prompts are
prefilled together (left-padded), and their KV cache is merged into the running batch's (both
left-padded to a common length, with an attention mask that hides the padding and per-row position
ids counted from the mask). Then one forward pass decodes one token for every row. Rows that end
(EOS, a stop string, their `max_tokens`) or whose caller went away leave the batch at once
(`index_select` on the cache), so a short request never waits for a long one and c concurrent
requests share forward passes instead of costing c times one.

Each row samples with its own `torch.Generator` (seeded per request; temperature 0 is argmax) and
detokenizes incrementally. A row with a grammar decodes under it: its own llguidance matcher
(`reasoning.llm._constrained`) gives the allowed tokens, the row's next token is drawn among them,
the matcher consumes it, and the row ends once the grammar allows nothing but the end. Requests
submitted together as a group (`submit_group`: k samples of one prompt) are admitted together.

What makes a batch of k constrained samples cheap (each keeps the sampled distribution; see the
modules and `tests/llm/test_decode_speedups.py`):
- shared cache rows: requests whose tokens so far are the same (k samples of one prompt, until
  their draws differ) share one KV-cache row, so the forward pass runs once for them; a row is
  copied when its requests draw different tokens (`_drop_finished` regroups after every step);
- the output layer over allowed ids only (`_sparse_head`): grammar rows get logits for the ids
  their grammar allows, not for the whole vocabulary, and sample from the softmax over those;
- reused prompt prefixes (`_prefix_cache`): a prompt that starts like a recent one prefills only
  the rest (the proposer's prompts differ only in their last turn);
- in-place KV appends (`_growing_cache`) instead of a copy of the whole cache at every step.

Results go back to the caller's event loop through `loop.call_soon_threadsafe` into an
`asyncio.Queue`: `Delta`s, then possibly a `BackendError`.
An exception inside the loop fails the requests in flight with a `BackendError` and the loop goes
on with the next ones; it never leaves a caller waiting.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reasoning.llm._base import BackendError, Delta, StopScanner
from reasoning.llm._constrained import GrammarMasks
from reasoning.llm._growing_cache import make_growing
from reasoning.llm._prefix_cache import PrefixCache
from reasoning.llm._sparse_head import SparseHead, pick

REPLACEMENT = "\ufffd"


class IncrementalDetokenizer:
    """Text deltas from a growing list of token ids.

    Decodes a short window of the ids (from `prefix` on) and emits what is new past `read`; holds
    the text back while it ends in U+FFFD (a multi-byte character split across tokens).
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix = 0
        self.read = 0

    def add(self, token: int) -> str:
        self.ids.append(token)
        decode = self.tokenizer.decode
        before = decode(self.ids[self.prefix : self.read], skip_special_tokens=True)
        after = decode(self.ids[self.prefix :], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith(REPLACEMENT):
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before) :]
        return ""


@dataclass(eq=False)
class Request:
    """One generation request: its parameters, where its results go, and its row state."""

    messages: list[dict[str, str]]
    max_tokens: int
    stop: tuple[str, ...]
    temperature: float
    seed: int
    loop: asyncio.AbstractEventLoop
    results: asyncio.Queue
    cancelled: bool = False
    prompt_ids: list[int] = field(default_factory=list)
    generated: int = 0
    pending_tokens: int = 0
    next_token: int = -1
    scanner: StopScanner | None = None
    detokenizer: IncrementalDetokenizer | None = None
    generator: Any = None
    done: bool = False
    grammar: str | None = None
    matcher: Any = None

    def cancel(self) -> None:
        """The caller went away: the row leaves the batch at the next step."""
        self.cancelled = True

    def deliver(self, item: Delta | BackendError) -> None:
        """Hand `item` to the caller's event loop; a closed loop cancels the request."""
        try:
            self.loop.call_soon_threadsafe(self.results.put_nowait, item)
        except RuntimeError:
            self.cancelled = True

    def fail(self, error: BackendError) -> None:
        if not self.done:
            self.done = True
            self.deliver(error)


@dataclass
class BatchStats:
    """Counters of the decode loop."""

    requests: int = 0
    tokens_generated: int = 0
    decode_steps: int = 0
    prefills: int = 0
    max_batch_seen: int = 0
    batch_rows_total: int = 0
    forward_rows_total: int = 0
    failures: int = 0
    masked_tokens: int = 0
    mask_s: float = 0.0
    decode_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        mean = self.batch_rows_total / self.decode_steps if self.decode_steps else 0.0
        return {
            "requests": self.requests,
            "tokens_generated": self.tokens_generated,
            "decode_steps": self.decode_steps,
            "prefills": self.prefills,
            "max_batch_seen": self.max_batch_seen,
            "mean_batch_size": round(mean, 3),
            "batch_rows": self.batch_rows_total,
            "forward_rows": self.forward_rows_total,
            "failures": self.failures,
            "masked_tokens": self.masked_tokens,
            "mask_s": round(self.mask_s, 4),
            "decode_s": round(self.decode_s, 4),
        }


class DynamicBatcher:
    """Runs `model` on a background thread, batching concurrent requests step by step.

    `max_batch` bounds the rows decoded together; `max_batch=1` runs requests one at a time in
    arrival order through the same code (the unbatched peer in benchmarks).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_batch: int = 8,
        name: str = "local",
        sparse_head: bool = True,
        prefix_cache: int = 4,
        threads: int | None = None,
        grow_in_place: bool = True,
        share_rows: bool = True,
    ) -> None:
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be a positive int, got {max_batch!r}")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be None or a positive int, got {threads!r}")
        import torch

        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max_batch
        self.context = int(getattr(model.config, "max_position_embeddings", 0) or 2048)
        self.eos = self._eos_ids(model, tokenizer)
        self.pad_id = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos, default=0)
        )
        self.inbox: queue.Queue[Request | list[Request] | None] = queue.Queue()
        self.vocab_size = int(getattr(model.config, "vocab_size", 0) or 0)
        self._masks: Any = None
        self.rows: list[Request] = []
        #: The KV-cache row of each running request: requests whose tokens so far (prompt and
        #: sampled) are the same share one row, so one forward pass serves them all.
        self.slots: list[int] = []
        self.cache: Any = None
        self.mask: Any = None
        self.counters = BatchStats()
        #: The body/output-layer split for constrained rows (None: the full path, e.g. a wrapper).
        self.head = SparseHead.of(model) if sparse_head else None
        #: KV caches of recent prompts, so a prompt sharing a prefix with one prefills only the rest.
        self.prefixes = PrefixCache(prefix_cache)
        self.threads = threads
        #: KV caches append in place instead of copying themselves at every step.
        self.grow_in_place = grow_in_place
        #: Requests with the same tokens so far share a cache row (False: one row per request).
        self.share_rows = share_rows
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"decode-loop-{name}", daemon=True)
        self._thread.start()

    @staticmethod
    def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
        ids: set[int] = set()
        configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        for value in (configured, tokenizer.eos_token_id):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, Sequence):
                ids.update(int(v) for v in value)
        return frozenset(ids)

    def stats(self) -> dict[str, float]:
        """Counters (requests, tokens generated, decode steps, max and mean batch size) and the
        rows running now."""
        return {**self.counters.as_dict(), "running": len(self.rows)}

    # ---- the caller's side -------------------------------------------------------------

    def submit(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        stop: tuple[str, ...],
        temperature: float,
        seed: int,
        loop: asyncio.AbstractEventLoop,
        results: asyncio.Queue,
        grammar: str | None = None,
    ) -> Request:
        """Queue a request; its `Delta`s (or a `BackendError`) arrive in `results` on `loop`."""
        request = Request(messages, max_tokens, stop, temperature, seed, loop, results, grammar=grammar)
        if self._stopping:
            request.fail(BackendError("the local backend is closed", kind="unavailable"))
        else:
            self.inbox.put(request)
        return request

    def submit_group(self, requests: list[Request]) -> list[Request]:
        """Queue requests that are admitted together (k samples of one prompt: one prefill)."""
        if self._stopping:
            for request in requests:
                request.fail(BackendError("the local backend is closed", kind="unavailable"))
        else:
            self.inbox.put(list(requests))
        return requests

    def masks(self) -> Any:
        """The llguidance state for this tokenizer (made on first use, ~0.5 s)."""
        if self._masks is None:
            self._masks = GrammarMasks(self.tokenizer, vocab_size=self.vocab_size)
        return self._masks

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the loop; requests still waiting or running fail with BackendError."""
        self._stopping = True
        self.inbox.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    # ---- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        if self.threads is not None:
            self.torch.set_num_threads(self.threads)
        with self.torch.inference_mode():
            while not self._stopping:
                newcomers = self._admit()
                try:
                    if newcomers:
                        self._prefill(newcomers)
                    self._drop_finished()
                    if self.rows:
                        self._decode_step()
                        self._drop_finished()
                except Exception as exc:  # a bug or an out-of-memory: fail this batch, keep serving
                    self.counters.failures += 1
                    message = f"local generation failed: {type(exc).__name__}: {exc}"
                    for request in self.rows + newcomers:
                        request.fail(BackendError(message))
                    self.rows, self.slots, self.cache, self.mask = [], [], None, None
        closed = "the local backend was closed"
        for request in self.rows:
            request.fail(BackendError(closed, kind="unavailable"))
        while True:
            try:
                request = self.inbox.get_nowait()
            except queue.Empty:
                break
            for each in request if isinstance(request, list) else [request]:
                if each is not None:
                    each.fail(BackendError(closed, kind="unavailable"))

    def _admit(self) -> list[Request]:
        """Waiting requests that fit in the batch (blocking while there is nothing to do)."""
        newcomers: list[Request] = []
        while len(self.rows) + len(newcomers) < self.max_batch:
            try:
                busy = self.rows or newcomers
                request = self.inbox.get_nowait() if busy else self.inbox.get()
            except queue.Empty:
                break
            if request is None:  # close()
                break
            # A group is admitted whole, even past max_batch: its rows share one prefill.
            for each in request if isinstance(request, list) else [request]:
                if not each.cancelled and self._prepare(each):
                    newcomers.append(each)
        return newcomers

    def _prepare(self, request: Request) -> bool:
        """Tokenize and set up a row; a prompt too long for the context fails the request."""
        try:
            encoded = self.tokenizer.apply_chat_template(
                request.messages, add_generation_prompt=True, tokenize=True, return_dict=True
            )
            ids = list(encoded["input_ids"])
        except Exception as exc:  # a template that rejects these messages
            request.fail(BackendError(f"cannot apply the chat template: {exc}"))
            return False
        if len(ids) + request.max_tokens > self.context:
            request.fail(
                BackendError(
                    f"prompt of {len(ids)} tokens + max_tokens {request.max_tokens} exceeds the model's "
                    f"context of {self.context} tokens"
                )
            )
            return False
        if request.grammar is not None:
            try:
                request.matcher = self.masks().matcher(request.grammar)
            except BackendError as exc:
                request.fail(exc)
                return False
        request.prompt_ids = ids
        request.scanner = StopScanner(request.stop)
        request.detokenizer = IncrementalDetokenizer(self.tokenizer)
        if request.temperature > 0:
            request.generator = self.torch.Generator().manual_seed(request.seed)
        self.counters.requests += 1
        return True

    def _prefill(self, newcomers: list[Request]) -> None:
        torch = self.torch
        # Rows with the same prompt (k samples of one request) are prefilled once.
        unique: dict[tuple[int, ...], int] = {}
        row_of = [unique.setdefault(tuple(r.prompt_ids), len(unique)) for r in newcomers]
        prompts = list(unique)
        past = None
        if len(prompts) == 1:  # one prompt: no padding, and a stored prefix may cover most of it
            prompt = prompts[0]
            reused, past = self.prefixes.find(prompt)
            ids = torch.tensor([prompt[reused:]], dtype=torch.long)
            mask = torch.ones((1, len(prompt)), dtype=torch.long)
            positions = torch.arange(reused, len(prompt), dtype=torch.long).unsqueeze(0)
        else:
            width = max(len(p) for p in prompts)
            ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(prompts), width), dtype=torch.long)
            for i, prompt in enumerate(prompts):
                n = len(prompt)
                ids[i, width - n :] = torch.tensor(prompt, dtype=torch.long)
                mask[i, width - n :] = 1
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
        # Only the last position's logits (or hidden state) are needed: all of them would cost a
        # vocabulary-wide product per prompt token (49,152 x 576 for SmolLM2) and memory to match.
        logits, hidden, cache = self._forward(ids, mask, positions, past)
        if len(prompts) == 1 and _plain_layers(cache):
            self.prefixes.store(prompts[0], cache)
        self.counters.prefills += 1
        # The rows of one prompt share its cache row until their samples differ (`_regroup`).
        slots = row_of
        if len(prompts) < len(newcomers):
            index = torch.tensor(row_of, dtype=torch.long)
            logits = None if logits is None else logits.index_select(0, index)
            hidden = None if hidden is None else hidden.index_select(0, index)
            if not self.share_rows:
                mask, slots = mask.index_select(0, index), list(range(len(newcomers)))
                for layer in cache.layers:
                    layer.keys = layer.keys.index_select(0, index)
                    layer.values = layer.values.index_select(0, index)
        self._merge(newcomers, slots, cache, mask)
        self._sample_and_emit(newcomers, logits, hidden)

    def _forward(self, ids: Any, mask: Any, positions: Any, cache: Any) -> tuple[Any, Any, Any]:
        """(last-position logits or None, last-position hidden states or None, the KV cache):
        through the body alone when the output layer is applied per row (`SparseHead`)."""
        kwargs = {"input_ids": ids, "attention_mask": mask, "position_ids": positions}
        if cache is not None:
            kwargs["cache"] = self._growing(cache)  # `past_key_values` is deprecated since 5.25
        if self.head is not None:
            hidden, cache = self.head.forward(**kwargs)
            return None, hidden, self._growing(cache)
        out = self.model(**kwargs, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1, :], None, self._growing(out.cache)

    def _merge(self, newcomers: list[Request], slots: list[int], cache: Any, mask: Any) -> None:
        """Add the newcomers (on cache rows `slots` of `cache`) to the running batch, left-padding
        both caches and masks to a common length."""
        if not self.rows:
            self.rows, self.slots, self.cache, self.mask = list(newcomers), list(slots), cache, mask
            return
        offset = self.mask.shape[0]
        torch = self.torch
        from transformers import DynamicCache

        width = max(self.mask.shape[1], mask.shape[1])
        layers = []
        for old, new in zip(self.cache.layers, cache.layers, strict=True):
            keys = torch.cat([_left_pad(old.keys, width), _left_pad(new.keys, width)], dim=0)
            values = torch.cat([_left_pad(old.values, width), _left_pad(new.values, width)], dim=0)
            layers.append((keys, values))
        self.cache = DynamicCache(layers)
        self.mask = torch.cat([_left_pad(self.mask, width, dim=1), _left_pad(mask, width, dim=1)], dim=0)
        self.rows = self.rows + list(newcomers)
        self.slots = self.slots + [offset + slot for slot in slots]

    def _decode_step(self) -> None:
        torch = self.torch
        width = self.mask.shape[0]
        tokens = [0] * width
        for request, slot in zip(self.rows, self.slots, strict=True):
            tokens[slot] = request.next_token  # the same for every request on the slot
        ids = torch.tensor(tokens, dtype=torch.long).unsqueeze(1)
        positions = self.mask.sum(dim=1, keepdim=True)
        self.mask = torch.cat([self.mask, torch.ones((width, 1), dtype=torch.long)], dim=1)
        started = time.perf_counter()
        logits, hidden, self.cache = self._forward(ids, self.mask, positions, self.cache)
        self.counters.decode_s += time.perf_counter() - started
        self.counters.decode_steps += 1
        self.counters.batch_rows_total += len(self.rows)
        self.counters.forward_rows_total += width
        self.counters.max_batch_seen = max(self.counters.max_batch_seen, len(self.rows))
        if width < len(self.rows):
            index = torch.tensor(self.slots, dtype=torch.long)
            logits = None if logits is None else logits.index_select(0, index)
            hidden = None if hidden is None else hidden.index_select(0, index)
        self._sample_and_emit(self.rows, logits, hidden)

    def _growing(self, cache: Any) -> Any:
        """`cache` appending in place (`reasoning.llm._growing_cache`) unless turned off."""
        if not self.grow_in_place or cache is None:
            return cache
        return make_growing(cache)

    def _mask(self, rows: list[Request], logits: Any) -> Any:
        """The logits with each grammar row's forbidden tokens at -inf (rows without one as they are)."""
        constrained = [i for i, r in enumerate(rows) if r.matcher is not None and not r.done]
        if not constrained:
            return logits
        started = time.perf_counter()
        index = self.torch.tensor(constrained, dtype=self.torch.long)
        part = logits.index_select(0, index).float()
        self.masks().apply(part, [rows[i].matcher for i in constrained])
        logits = logits.float().index_copy(0, index, part)
        self.counters.mask_s += time.perf_counter() - started
        self.counters.masked_tokens += len(constrained)
        return logits

    def _pick_full(self, rows: list[Request], logits: Any) -> list[int | None]:
        """Each live row's next token from full-vocabulary logits (grammar rows masked first)."""
        torch = self.torch
        logits = self._mask(rows, logits)
        greedy = logits.argmax(dim=-1).tolist()
        tokens: list[int | None] = [None] * len(rows)
        for i, request in enumerate(rows):
            if request.done:
                continue
            tokens[i] = greedy[i]
            if request.temperature > 0:
                probs = torch.softmax(logits[i].float() / request.temperature, dim=-1)
                tokens[i] = int(torch.multinomial(probs, 1, generator=request.generator).item())
        return tokens

    def _pick_sparse(self, rows: list[Request], hidden: Any) -> list[int | None]:
        """Each live row's next token from its hidden state: a grammar row's logits over its
        allowed ids only (`reasoning.llm._sparse_head`), a free row's over the vocabulary."""
        torch, head = self.torch, self.head
        tokens: list[int | None] = [None] * len(rows)
        live = [i for i, r in enumerate(rows) if not r.done]
        bound = [i for i in live if rows[i].matcher is not None]
        free = [i for i in live if rows[i].matcher is None]
        if bound:
            started = time.perf_counter()
            allowed = head.allowed(self.masks().bitmask([rows[i].matcher for i in bound]))
            self.counters.mask_s += time.perf_counter() - started
            self.counters.masked_tokens += len(bound)
            index = torch.tensor(bound, dtype=torch.long)
            scores = head.logits_of(hidden.index_select(0, index), allowed)
            for i, ids, row_scores in zip(bound, allowed, scores, strict=True):
                request = rows[i]
                if ids.numel() == 0:
                    request.fail(BackendError("the grammar allows no next token"))
                    continue
                tokens[i] = pick(row_scores, ids, request.temperature, request.generator)
        if free:
            index = torch.tensor(free, dtype=torch.long)
            picked = self._pick_full([rows[i] for i in free], head.full(hidden.index_select(0, index)))
            for i, token in zip(free, picked, strict=True):
                tokens[i] = token
        return tokens

    def _sample_and_emit(self, rows: list[Request], logits: Any, hidden: Any = None) -> None:
        tokens = self._pick_full(rows, logits) if hidden is None else self._pick_sparse(rows, hidden)
        for request, token in zip(rows, tokens, strict=True):
            if token is None or request.done:
                continue
            request.next_token = token
            request.generated += 1
            request.pending_tokens += 1
            self.counters.tokens_generated += 1
            if token in self.eos:
                self._finish(request, "stop")
                continue
            matcher = request.matcher
            if matcher is not None and not matcher.consume_token(token):
                request.fail(BackendError(f"the grammar refused token {token}: {matcher.get_error()[:200]}"))
                continue
            text = request.scanner.feed(request.detokenizer.add(token))
            grammar_done = matcher is not None and matcher.is_stopped()  # nothing but the end can follow
            if grammar_done or request.scanner.stopped:
                self._finish(request, "stop", text)
            elif request.generated >= request.max_tokens:
                self._finish(request, "length", text)
            elif text:
                request.deliver(Delta(text, request.pending_tokens))
                request.pending_tokens = 0

    def _finish(self, request: Request, reason: str, text: str = "") -> None:
        text += request.scanner.flush()
        request.done = True
        request.deliver(Delta(text, request.pending_tokens, reason, len(request.prompt_ids)))
        request.pending_tokens = 0

    def _drop_finished(self) -> None:
        """Regroup the running requests on cache rows: finished or cancelled ones leave, requests
        that shared a row but sampled different tokens get a row each (a copy of the shared one),
        rows nobody uses any more are dropped, and all-padding columns are trimmed."""
        live = [(r, s) for r, s in zip(self.rows, self.slots, strict=True) if not (r.done or r.cancelled)]
        if not live:
            self.rows, self.slots, self.cache, self.mask = [], [], None, None
            return
        fresh: dict[tuple[int, int], int] = {}
        slots = [
            fresh.setdefault((slot, r.next_token if self.share_rows else i), len(fresh))
            for i, (r, slot) in enumerate(live)
        ]
        parents = [slot for slot, _ in fresh]
        self.rows = [r for r, _ in live]
        self.slots = slots
        if parents == list(range(self.mask.shape[0])):
            return
        index = self.torch.tensor(parents, dtype=self.torch.long)
        mask = self.mask.index_select(0, index)
        start = int(mask.any(dim=0).nonzero()[0].item())  # leading columns that are padding in every row
        self.mask = mask[:, start:]
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, index)[:, :, start:, :]
            layer.values = layer.values.index_select(0, index)[:, :, start:, :]


def _plain_layers(cache: Any) -> bool:
    """True when every layer of `cache` is a plain dynamic one (no sliding window): its states
    can be cut to a prefix and reused."""
    layers = getattr(cache, "layers", None)
    return bool(layers) and all(type(layer).__name__ in ("DynamicLayer", "GrowingLayer") for layer in layers)


def _left_pad(tensor: Any, width: int, dim: int = 2) -> Any:
    """`tensor` with zeros prepended along `dim` up to `width` (KV: dim 2; masks: dim 1)."""
    import torch

    missing = width - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)
