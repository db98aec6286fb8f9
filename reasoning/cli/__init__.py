"""The `reason` command line: the typer app (`app.py`) and a module per command group."""
