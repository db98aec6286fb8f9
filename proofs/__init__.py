"""Claims, exact arithmetic, certificates and their independent checker."""

import sys

# The exact kernel admits values of up to 100,000 bits (about 30,103 decimal digits), and
# certificates and SMT scripts carry them as decimal text. Python's default cap on int <-> str
# conversion (4,300 digits) would turn such a value into a crash, so the cap is raised to just
# above what the kernel can produce; it is never lowered, and stays a cap against huge input.
INT_DIGITS = 40_000
if 0 < sys.get_int_max_str_digits() < INT_DIGITS:
    sys.set_int_max_str_digits(INT_DIGITS)
