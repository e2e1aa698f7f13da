"""Talking to GSM modems over AT commands. The only code in the project that touches a serial port.

Public interface: ``Modem`` (protocol) and its implementation ``AtModem``, ``PortSettings``, the
values and events in ``drivers.base``, the errors in ``drivers.errors``, the text policy
(``analyse``, ``fold_gsm``) and ``Backoff`` for reopening.
"""

from drivers.at_modem import AtModem
from drivers.backoff import Backoff
from drivers.base import (
    DeliveryReport,
    EventCallback,
    IncomingSms,
    LateSubmitResult,
    MessagePart,
    Modem,
    ModemEvent,
    ModemInfo,
    ModemState,
    ModemStateChanged,
    Resume,
    SubmitResult,
    TextPolicy,
    utf16_text,
)
from drivers.errors import (
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
    classify_cms,
    partial_submit,
)
from drivers.settings import PortSettings
from drivers.text import Encoding, TextInfo, analyse, fold_gsm

__all__ = [
    "AtModem",
    "Backoff",
    "CommandFailed",
    "DeliveryReport",
    "Encoding",
    "EventCallback",
    "IncomingSms",
    "InvalidMessage",
    "LateSubmitResult",
    "MessagePart",
    "Modem",
    "ModemError",
    "ModemEvent",
    "ModemGone",
    "ModemInfo",
    "ModemState",
    "ModemStateChanged",
    "ModemTimeout",
    "NotRegistered",
    "PartialSubmit",
    "PinRequired",
    "PortSettings",
    "Resume",
    "SimFailure",
    "SubmitOutcomeUnknown",
    "SubmitRejected",
    "SubmitResult",
    "TextInfo",
    "TextPolicy",
    "analyse",
    "classify_cms",
    "fold_gsm",
    "partial_submit",
    "utf16_text",
]
