"""reasoning.cli."""
