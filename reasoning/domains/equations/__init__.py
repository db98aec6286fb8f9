"""Domain `equations`: the domain, its worker and planner, and the exact polynomial and system solvers it uses."""
