"""reasoning.domains.arithmetic."""
