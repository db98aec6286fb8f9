"""reasoning.service."""
