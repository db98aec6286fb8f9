"""reasoning.domains.common."""
