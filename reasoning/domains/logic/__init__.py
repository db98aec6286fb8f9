"""reasoning.domains.logic."""
