"""`python -m reasoning.cli`: the `reason` command line."""

from reasoning.cli import main

main()
