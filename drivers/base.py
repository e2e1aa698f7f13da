"""The interface the gateway uses to drive one modem, and the values and events it exchanges."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

TextPolicy = Literal["exact", "gsm-folded"]


@dataclass(frozen=True)
class ModemInfo:
    """What ``open()`` and ``health()`` learnt. ``signal_rssi`` is 0-31 (AT+CSQ), None when unknown (99)."""

    modem_id: str
    manufacturer: str
    model: str
    revision: str
    imei: str
    imsi: str
    operator: str | None
    signal_rssi: int | None
    registered: bool


@dataclass(frozen=True)
class SubmitResult:
    """The TP-MR message reference of each segment, in order, as answered by ``+CMGS: n`` (0-255)."""

    references: tuple[int, ...]
    segments: int
    encoding: str


@dataclass(frozen=True)
class Resume:
    """Where a long message stopped: its concatenation reference and the TP-MRs of the segments the modem
    accepted (``PartialSubmit`` carries one). Given to ``submit``, only the missing segments are sent, under the
    same reference, so that the handset joins them to the first ones."""

    concat_reference: int
    references: tuple[int, ...]


@dataclass(frozen=True)
class DeliveryReport:
    """A decoded SMS-STATUS-REPORT. ``final`` is False while the SMSC still tries (TP-ST 0x20-0x3F)."""

    modem_id: str
    reference: int
    recipient: str
    delivered: bool
    final: bool
    status: int
    discharged_at: datetime | None


@dataclass(frozen=True)
class MessagePart:
    """Where one segment of a concatenated SMS belongs: its reference, the number of parts, its number (1-based)."""

    reference: int
    total: int
    number: int


@dataclass(frozen=True)
class IncomingSms:
    """A message received by the modem's SIM; ``received_at`` is the sender's SMSC timestamp, in UTC.

    Each segment of a concatenated message arrives as its own event with ``part`` set; the gateway joins
    them (durably: parts may arrive minutes apart, across a restart). A part's ``text`` may then begin or
    end with half of a UTF-16 surrogate pair that its neighbour completes; ``utf16_text`` joins them.
    """

    modem_id: str
    sender: str
    text: str
    received_at: datetime
    part: MessagePart | None = None


def utf16_text(pieces: list[str]) -> str:
    """Join texts whose boundaries may split a surrogate pair; an unpaired half becomes U+FFFD."""
    return "".join(pieces).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


@dataclass(frozen=True)
class LateSubmitResult:
    """A ``+CMGS: n`` that arrived after its AT+CMGS had timed out (``SubmitOutcomeUnknown``)."""

    modem_id: str
    reference: int


class ModemState(enum.Enum):
    """Coarse link state reported through ``ModemStateChanged``."""

    OPEN = "open"
    REGISTERED = "registered"
    NOT_REGISTERED = "not-registered"
    GONE = "gone"
    CLOSED = "closed"


@dataclass(frozen=True)
class ModemStateChanged:
    """The modem vanished, lost or regained registration, or was closed. ``detail`` is for logs."""

    modem_id: str
    state: ModemState
    detail: str = ""


ModemEvent = DeliveryReport | IncomingSms | LateSubmitResult | ModemStateChanged
EventCallback = Callable[[ModemEvent], None]


class Modem(Protocol):
    """One modem. Methods are blocking and thread-safe (one AT command at a time).

    Events are passed to the ``on_event`` callback given at construction, from one event thread
    per modem; a callback that raises is logged and does not stop later events. Every method
    raises only ``drivers.errors.ModemError`` subclasses.
    """

    modem_id: str

    def open(self) -> ModemInfo:
        """Open the port, identify, unlock the PIN, wait for registration, configure PDU mode and
        notifications, and flush messages left in storage as events. May be called again after
        ``close()`` or after a ``ModemGone`` to reopen."""
        ...

    def submit(
        self,
        number: str,
        text: str,
        *,
        policy: TextPolicy = "exact",
        status_report: bool = True,
        resume: Resume | None = None,
    ) -> SubmitResult:
        """Send ``text`` to ``number`` (E.164) and return the message references (of every segment).

        With ``resume`` (from a ``PartialSubmit`` of the same text on this modem), only the segments after those
        already accepted are sent, with the same concatenation reference.

        Raises ``SubmitRejected`` (see ``retryable``), ``SubmitOutcomeUnknown`` (do not resend
        blindly), ``PartialSubmit`` (segment k > 1 failed), ``ModemTimeout`` (nothing sent),
        ``ModemGone``, ``InvalidMessage``."""
        ...

    def set_batch_mode(self, on: bool) -> None:
        """AT+CMMS=1 while a batch lasts (keeps the radio link up between messages), 0 after.
        A modem that does not support it is logged and ignored."""
        ...

    def health(self) -> ModemInfo:
        """Cheap liveness check (AT+CSQ, AT+CREG?). Raises ``ModemGone``/``ModemTimeout`` when dead."""
        ...

    def close(self) -> None:
        """Stop the threads and release the port. Idempotent."""
        ...
