"""reasoning.domains.equations."""
