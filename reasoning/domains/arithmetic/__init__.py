"""Domain `arithmetic`: `_domain` (the domain) and `_symbolic` (its symbolic worker and planner)."""
