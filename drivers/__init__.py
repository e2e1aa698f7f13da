"""Talking to GSM modems over AT commands. The only code in the project that touches a serial port."""
