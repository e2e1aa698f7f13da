"""Incoming SMS: replies and STOP requests received by the modems, kept for the register to act on."""
