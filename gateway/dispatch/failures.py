"""Reading a failed submit: was it the message, the network, or the modem? Pure, table-tested.

Every error the driver raises for ``submit`` gets one :class:`Failure` (stable names: logs and metrics count by
them). The class decides what happens next (``gateway.dispatch.outcomes``) and whether the modem is still fit to
send (``gateway.dispatch.health``):

* ``message_*``: this message cannot go, whatever the modem (an unassigned number, a text that cannot be
  encoded): it fails, the modem carries on;
* ``network_temporary``: the network saw the submit and refused it for now (congestion, out of order, timeout):
  the message is retried later, on any modem, and the attempt counts;
* ``modem_*``: the modem is at fault (a SIM asking for its PIN after a reset, lost registration, a plain
  ``ERROR`` where ``+CMS ERROR`` was due, a port that vanished or went silent before the PDU was written): the
  network never saw the message, so its claim goes back without charging an attempt and the modem leaves service
  to be reinitialised;
* ``ambiguous``: the PDU was written and no answer came: it may have left (see ``outcomes``).
"""

from __future__ import annotations

from enum import StrEnum

from drivers.errors import (
    PERMANENT_CMS_CODES,
    CommandFailed,
    InvalidMessage,
    ModemError,
    ModemGone,
    ModemTimeout,
    NotRegistered,
    PartialSubmit,
    PinRequired,
    SimFailure,
    SubmitOutcomeUnknown,
    SubmitRejected,
)


class Failure(StrEnum):
    MESSAGE_REJECTED = "message_rejected"  # +CMS 1, 8, 21, 28 ...: the network refused this message for good
    MESSAGE_INVALID = "message_invalid"  # cannot be encoded into a PDU: nothing was sent
    NETWORK_TEMPORARY = "network_temporary"  # +CMS 27, 38, 41, 42, 47, 332, 500 ...: refused for now
    MODEM_SIM = "modem_sim"  # SIM locked (PIN/PUK), missing or failing: +CME 10-18, +CMS 310-318
    MODEM_NOT_REGISTERED = "modem_not_registered"  # no network service: +CMS 331, registration lost
    MODEM_ERROR = "modem_error"  # plain ERROR to AT+CMGS, ME failure, memory, SMSC unknown (300-330)
    MODEM_GONE = "modem_gone"  # the port vanished before the PDU was written
    MODEM_SILENT = "modem_silent"  # no prompt, no answer before the PDU was written (a hung modem)
    AMBIGUOUS = "ambiguous"  # the PDU was written, no answer: it may or may not have left

    @property
    def modem_level(self) -> bool:
        """The modem, not the message: it leaves service and the claim goes back uncharged."""
        return self.value.startswith("modem_")


SIM_CME_CODES = frozenset(range(10, 19))  # SIM not inserted, PIN, PUK, failure, busy, wrong, PIN2, PUK2
SIM_CMS_CODES = frozenset(range(310, 319))
NOT_REGISTERED_CMS = frozenset({331})  # no network service
# ME failure, operation not allowed, memory failure / full, SMSC address unknown: this modem, not the network.
MODEM_CMS_CODES = frozenset({300, 301, 302, 320, 321, 322, 330})


# Errors whose type says it all, most specific first (a partial submit is read by its failing segment).
_BY_TYPE: tuple[tuple[type[ModemError], Failure], ...] = (
    (SubmitOutcomeUnknown, Failure.AMBIGUOUS),
    (ModemGone, Failure.MODEM_GONE),
    (ModemTimeout, Failure.MODEM_SILENT),
    (InvalidMessage, Failure.MESSAGE_INVALID),
    (PinRequired, Failure.MODEM_SIM),
    (SimFailure, Failure.MODEM_SIM),
    (NotRegistered, Failure.MODEM_NOT_REGISTERED),
)


def classify(error: ModemError) -> Failure:
    """The class of an error raised by ``Modem.submit`` (a partial submit is read by its failing segment)."""
    cause = error.cause if isinstance(error, PartialSubmit) else error
    for kind, failure in _BY_TYPE:
        if isinstance(cause, kind):
            return failure
    if isinstance(cause, CommandFailed) and cause.kind == "CME":
        return Failure.MODEM_SIM if cause.code in SIM_CME_CODES else Failure.MODEM_ERROR
    if isinstance(cause, SubmitRejected | CommandFailed):  # +CMS ERROR: n, or a plain ERROR (no code)
        return _cms(cause.code)
    return Failure.MODEM_ERROR


def _cms(code: int | None) -> Failure:
    if code is None:  # a plain ERROR where a submit answers +CMS ERROR: the modem (a reset with CMEE=0 ...)
        return Failure.MODEM_ERROR
    if code in SIM_CMS_CODES:
        return Failure.MODEM_SIM
    if code in NOT_REGISTERED_CMS:
        return Failure.MODEM_NOT_REGISTERED
    if code in MODEM_CMS_CODES:
        return Failure.MODEM_ERROR
    if code in PERMANENT_CMS_CODES:
        return Failure.MESSAGE_REJECTED
    return Failure.NETWORK_TEMPORARY
