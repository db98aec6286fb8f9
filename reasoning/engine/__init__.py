"""reasoning.engine."""
