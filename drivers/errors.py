# ruff: noqa: N818  -- the names in the interface spec (ModemGone, SubmitRejected ...) read as outcomes
"""This package's error types: one root, data in attributes, retryable or permanent.

The dispatcher decides from ``ModemError.retryable`` whether a message goes back to the queue
(retryable: the message is fine, the modem or the network is not, another modem may succeed) or is
failed for good (permanent: resending the same PDU to the same number will fail the same way).
"""

from __future__ import annotations

# CMS error codes (3GPP TS 24.011 RP-cause values 0-127, TS 27.005 §3.2.5 for 300-511) that say
# the *message or recipient* is at fault, so a resend would fail again or text the wrong person.
# Everything else is treated as retryable because it describes the modem, the SIM or the network,
# and the outbox bounds retries with its maximum number of attempts anyway.
PERMANENT_CMS_CODES: frozenset[int] = frozenset(
    {
        1,  # unassigned (unallocated) number
        8,  # operator determined barring
        10,  # call barred
        21,  # short message transfer rejected
        28,  # unidentified subscriber
        29,  # facility rejected
        30,  # unknown subscriber
        50,  # requested facility not subscribed
        69,  # requested facility not implemented
        81,  # invalid short message transfer reference value
        95,  # invalid message, unspecified
        96,  # invalid mandatory information
        97,  # message type non-existent or not implemented
        98,  # message not compatible with short message protocol state
        99,  # information element non-existent or not implemented
        304,  # invalid PDU mode parameter: our PDU is wrong, the same PDU will be wrong again
        305,  # invalid text mode parameter
    }
)
# Documented retryable ones (not used by the code, which defaults to retryable, but kept as the
# reference table and checked by the tests): 27 destination out of service, 38 network out of
# order, 41 temporary failure, 42 congestion, 47 resources unavailable, 111 protocol error,
# 127 interworking, 300 ME failure, 302 operation not allowed, 310-318 SIM problems, 320-322
# memory, 330 SMSC address unknown (a modem configuration fault: another modem can send the same
# message), 331 no network service, 332 network timeout, 500 unknown error (many modems answer 500
# on transient radio failures), 512+ manufacturer specific.
RETRYABLE_CMS_CODES: frozenset[int] = frozenset(
    {27, 38, 41, 42, 47, 111, 127, 300, 302, 310, 311, 313, 314, 315, 320, 321, 322, 330, 331, 332, 500}
)


def classify_cms(code: int) -> bool:
    """Return True when a ``+CMS ERROR: <code>`` answer to AT+CMGS is worth retrying."""
    return code not in PERMANENT_CMS_CODES


class ModemError(Exception):
    """Root of every error raised by ``drivers``.

    ``retryable`` tells the caller whether the same work may be tried again later (possibly on
    another modem); ``code`` is the CME/CMS code when the modem gave one.
    """

    retryable: bool = True

    def __init__(self, message: str, *, code: int | None = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.code = code
        if retryable is not None:
            self.retryable = retryable


class ModemTimeout(ModemError):
    """The modem did not give a final answer within the command timeout. Nothing was submitted."""


class ModemGone(ModemError):
    """The port vanished, returned EOF/EIO, or was closed. ``open()`` must be called again."""


def redact(command: str) -> str:
    """An AT command as it may be shown (errors, logs): a SIM PIN or PUK it carries is masked.

    ``AT+CPIN="1234"`` → ``AT+CPIN="****"``; ``AT+CPIN="12345678","1234"`` (PUK, new PIN) likewise."""
    head, sep, _secret = command.partition("+CPIN=")
    return f"{head}{sep}****" if sep else command


class CommandFailed(ModemError):
    """The modem answered ``ERROR``, ``+CME ERROR: n`` or ``+CMS ERROR: n`` to a command.

    ``kind`` is ``"CME"``, ``"CMS"`` or ``None`` for a bare ``ERROR``. ``command`` is redacted (no PIN).
    """

    def __init__(self, command: str, final: str, *, kind: str | None = None, code: int | None = None) -> None:
        command = redact(command)
        super().__init__(f"{command} -> {final}", code=code)
        self.command = command
        self.final = final
        self.kind = kind


class PinRequired(ModemError):
    """The SIM wants a PIN (none configured, or the configured one was refused) or a PUK."""

    retryable = False


class SimFailure(ModemError):
    """No SIM, SIM failure, SIM busy beyond patience."""

    retryable = False


class NotRegistered(ModemError):
    """The modem is not registered on a network (searching, denied, or lost registration)."""


class InvalidMessage(ModemError):
    """The number or text cannot be encoded into a PDU; resending will not help."""

    retryable = False


class SubmitRejected(ModemError):
    """AT+CMGS answered ``+CMS ERROR: n`` (or ``ERROR``); ``retryable`` follows ``classify_cms``."""

    def __init__(self, message: str, *, code: int | None) -> None:
        super().__init__(message, code=code, retryable=True if code is None else classify_cms(code))


class SubmitOutcomeUnknown(ModemError):
    """The PDU was written but no final answer came within the submit timeout.

    The message may or may not have left. It must NOT be blindly resent (the member would be
    texted twice): wait for a ``LateSubmitResult`` or a delivery report for a while first.
    """

    retryable = False


class PartialSubmit(ModemError):
    """A multipart submit failed at segment k > 1.

    ``references_sent`` are the TP-MRs of the segments already accepted; ``cause`` is the error for
    the failing segment and ``retryable`` copies it. The handset holds an incomplete concatenated
    message until the missing segments come under the same ``concat_reference`` from the same number:
    ``submit(..., resume=Resume(concat_reference, references_sent))`` on the same modem sends just those
    (``gateway.dispatch.outcomes`` decides when). ``partial_submit()`` builds the subclass
    that also matches the cause (``SubmitOutcomeUnknown``, ``ModemGone``, ``ModemTimeout``), so
    an ``except SubmitOutcomeUnknown`` placed first keeps its meaning.
    """

    def __init__(
        self, cause: ModemError, *, references_sent: tuple[int, ...], segments: int, concat_reference: int = 0
    ) -> None:
        super().__init__(
            f"segment {len(references_sent) + 1}/{segments} failed: {cause}",
            code=cause.code,
            retryable=cause.retryable,
        )
        self.cause = cause
        self.references_sent = references_sent
        self.segments = segments
        self.concat_reference = concat_reference  # to send the missing segments under it (drivers.base.Resume)


class PartialSubmitOutcomeUnknown(PartialSubmit, SubmitOutcomeUnknown):
    """Segment k > 1 was written but not answered: caught by ``except SubmitOutcomeUnknown`` too."""


class PartialSubmitGone(PartialSubmit, ModemGone):
    """The port vanished before segment k > 1 was written: caught by ``except ModemGone`` too."""


class PartialSubmitTimeout(PartialSubmit, ModemTimeout):
    """No prompt for segment k > 1: caught by ``except ModemTimeout`` too."""


def partial_submit(
    cause: ModemError, *, references_sent: tuple[int, ...], segments: int, concat_reference: int = 0
) -> PartialSubmit:
    """The ``PartialSubmit`` that also matches the cause's own class, so that a caller handling
    ``SubmitOutcomeUnknown``/``ModemGone``/``ModemTimeout`` handles the partial case the same way."""
    kinds: tuple[tuple[type[ModemError], type[PartialSubmit]], ...] = (
        (SubmitOutcomeUnknown, PartialSubmitOutcomeUnknown),
        (ModemGone, PartialSubmitGone),
        (ModemTimeout, PartialSubmitTimeout),
    )
    cls = next((partial for base, partial in kinds if isinstance(cause, base)), PartialSubmit)
    return cls(cause, references_sent=references_sent, segments=segments, concat_reference=concat_reference)
