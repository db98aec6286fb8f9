"""The `reason` command line: the typer app (`main.py`) and a module per command group.

`app` is re-exported here so the `reason` entry point stays `reasoning.cli:app`."""

from reasoning.cli.main import app, main

__all__ = ["app", "main"]
