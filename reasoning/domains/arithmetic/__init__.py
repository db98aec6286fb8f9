"""Domain `arithmetic`: the domain (`domain.py`) and its worker and planner (`solver.py`)."""
