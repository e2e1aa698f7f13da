"""Virtual USB GSM modems on pseudo-terminals, with a network model, faults and handsets.

A separate program: it must never import ``gateway`` or ``drivers``.
"""
