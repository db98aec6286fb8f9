"""`python -m reasoning.cli`: the `reason` command line."""

from reasoning.cli.app import main

main()
