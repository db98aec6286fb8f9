"""reasoning.domains.grids."""
