"""Domain `equations`: `_domain` (the domain), `_symbolic` (its symbolic worker and planner), `_task`
(the task), and the exact methods it uses: `_linear_systems`, `_nonlinear_systems`, `_polynomials`,
`_real_roots`, `_root_answers`."""
