"""Domain `knights_knaves`: who tells the truth, on the `logic` domain's formulas (`_domain`)."""
