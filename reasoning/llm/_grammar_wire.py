"""How a grammar travels to an OpenAI-compatible server, by `grammar_mode`.

- "none": not sent; the caller parses the answer and rejects what does not parse.
- "vllm": vLLM's structured outputs, `{"structured_outputs": {"grammar": G}}` (the Lark text as
  is; a vLLM server with the `guidance` backend reads Lark, as llguidance does).
- "vllm-guided": older vLLM's `{"guided_grammar": G}`.
- "llamacpp": llama.cpp's server, `{"grammar": GBNF}`; the Lark grammar is converted to GBNF
  (`reasoning.llm._gbnf`) when it is simple enough, and not sent otherwise.
"""

from __future__ import annotations

from typing import Any

from reasoning.llm._gbnf import lark_to_gbnf

GRAMMAR_MODES = ("none", "vllm", "vllm-guided", "llamacpp")


def grammar_body(mode: str, grammar: str | None) -> dict[str, Any] | None:
    """The extra request fields that carry `grammar` (Lark syntax) in `mode`; None when nothing
    is sent (mode "none", no grammar, or a grammar llama.cpp's GBNF cannot say)."""
    if not grammar or mode == "none":
        return None
    if mode == "vllm":
        return {"structured_outputs": {"grammar": grammar}}
    if mode == "vllm-guided":
        return {"guided_grammar": grammar}
    if mode == "llamacpp":
        gbnf = lark_to_gbnf(grammar)
        return None if gbnf is None else {"grammar": gbnf}
    raise ValueError(f"unknown grammar mode {mode!r}; expected one of {', '.join(GRAMMAR_MODES)}")
