"""Domain `logic`: propositional formulas, entailment, validity and what follows (`_domain`)."""
