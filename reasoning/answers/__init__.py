"""Reading answers and deciding their equivalence: extraction, LaTeX parsing, answer types, comparison."""
