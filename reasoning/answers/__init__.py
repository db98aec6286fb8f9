"""reasoning.answers."""
