"""Alerts: compose a bilingual text, preview who gets it, fan it out to the outbox, follow and cancel it."""
