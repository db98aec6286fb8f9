"""Grid puzzles: Sudoku and Futoshiki, and the grid machinery they share."""
