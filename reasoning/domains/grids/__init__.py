"""Grid puzzles: `_sudoku` and `_futoshiki` (the domains) and `_grid_search` (the grid machinery
they share: grids, the search, the rule check, SMT-LIB); `_deduction` makes Sudoku deductions
(proofs without Z3) and `_deduction_check` replays them."""
