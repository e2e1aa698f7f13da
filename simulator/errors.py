"""+CME ERROR (3GPP TS 27.007 §9.2) and +CMS ERROR (TS 27.005 §3.2.5) codes and their verbose texts.

Command handlers raise :class:`CmeError` / :class:`CmsError`; the modem turns them into ``ERROR``,
``+CME ERROR: 10`` or ``+CME ERROR: SIM not inserted`` according to ``AT+CMEE``.
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Root of every error the simulator package raises on purpose."""


class CommandError(SimulatorError):
    """A command ends with a final error result instead of OK."""

    def verbose(self) -> str:
        """Text for AT+CMEE=2."""
        return "ERROR"

    def numeric(self) -> str:
        """Text for AT+CMEE=1."""
        return "ERROR"


class PlainError(CommandError):
    """Plain ``ERROR`` whatever AT+CMEE says (unknown command, syntax error)."""


CME_TEXTS: dict[int, str] = {
    0: "phone failure",
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    20: "memory full",
    21: "invalid index",
    22: "not found",
    23: "memory failure",
    24: "text string too long",
    27: "invalid characters in dial string",
    30: "no network service",
    31: "network timeout",
    32: "network not allowed - emergency calls only",
    50: "Incorrect parameters",
    100: "unknown",
}

CMS_TEXTS: dict[int, str] = {
    1: "Unassigned (unallocated) number",
    8: "Operator determined barring",
    10: "Call barred",
    21: "Short message transfer rejected",
    27: "Destination out of service",
    28: "Unidentified subscriber",
    29: "Facility rejected",
    30: "Unknown subscriber",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Congestion",
    47: "Resources unavailable, unspecified",
    50: "Requested facility not subscribed",
    69: "Requested facility not implemented",
    81: "Invalid short message transfer reference value",
    95: "Invalid message, unspecified",
    96: "Invalid mandatory information",
    97: "Message type non-existent or not implemented",
    98: "Message not compatible with short message protocol state",
    99: "Information element non-existent or not implemented",
    111: "Protocol error, unspecified",
    127: "Interworking, unspecified",
    300: "ME failure",
    301: "SMS service of ME reserved",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    312: "PH-SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    315: "SIM wrong",
    316: "SIM PUK required",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}


class CmeError(CommandError):
    """A mobile equipment error (27.007 §9.2)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

    def numeric(self) -> str:
        return f"+CME ERROR: {self.code}"

    def verbose(self) -> str:
        return f"+CME ERROR: {CME_TEXTS.get(self.code, 'unknown')}"


class CmsError(CommandError):
    """A message service error (27.005 §3.2.5); also what a network rejection of a submit looks like."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

    def numeric(self) -> str:
        return f"+CMS ERROR: {self.code}"

    def verbose(self) -> str:
        return f"+CMS ERROR: {CMS_TEXTS.get(self.code, 'unknown error')}"
