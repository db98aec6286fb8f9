"""Helpers several domains share: the expression language and exact numerals."""
