"""Domain `countdown` (and the Game of 24): `_domain` (the domain) and `_search` (its expression search)."""
