"""Domain `countdown` (and the Game of 24): the domain and its expression search."""
