"""Bearer tokens of the HTTP API: one per operator or client program, a role each, stored only as hashes.

``tokens`` creates, verifies, lists and revokes them; ``models`` is the table; ``roles`` says which role
may do what.
"""
