"""Incoming SMS: STOP requests withdraw the number; other replies go to the operators' inbox."""
