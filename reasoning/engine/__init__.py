"""The fork/join engine: tasks and goals, protocol, workers and planner, causal graph, trace, ledger, bundle, `solve`."""
