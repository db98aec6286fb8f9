"""reasoning.domains.knights_knaves."""
