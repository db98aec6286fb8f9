"""Grid puzzles: `_sudoku` and `_futoshiki` (the domains) and `_grid_search` (the grid machinery
they share: grids, the search, the rule check, SMT-LIB)."""
