"""reasoning.domains.countdown."""
