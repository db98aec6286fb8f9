"""Reading answers and deciding their equivalence: extraction, LaTeX parsing, answer types, comparison.

Public names are re-exported here and imported on first use. Private modules: `_extraction`
(where the final answer is), `_latex` (parse_answer), `_latex_text` / `_latex_grammar` (its two
stages), `_answers` (the typed answers), `_equivalence` (equivalent), `_judge` (component
claims), `_compare_sets`, `_compare_equations`, `_rounding` (a gold decimal as a rounding),
`_readings` (other readings of ambiguous spellings), `_complex_values`, `_trig_identity`, `_units`.
"""

from reasoning._lazy import lazy_exports

_EXPORTS = {
    "parse_answer": "reasoning.answers._latex",
    "equivalent": "reasoning.answers._equivalence",
    "EquivalenceResult": "reasoning.answers._equivalence",
    "Extraction": "reasoning.answers._extraction",
    "extract": "reasoning.answers._extraction",
    "find_answer": "reasoning.answers._extraction",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
