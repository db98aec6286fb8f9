"""Helpers several domains share: `_expressions` (the expression language), `_numerals` (exact
numerals), `_query_grammars` (per-query grammars the domains give the model)."""
