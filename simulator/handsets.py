"""Virtual handsets: what each destination number received, after reassembling concatenated SMS.

This is the oracle of the end-to-end tests ("did every member get the alert exactly once, whole?"),
so it records faithfully rather than helpfully: a message sent twice is received twice, and a
segment that never arrives leaves an incomplete message visible in :meth:`Handsets.pending`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.pdu import SubmitPdu


@dataclass(frozen=True)
class ReceivedSms:
    """One complete message as the recipient's phone would show it."""

    recipient: str
    text: str
    encoding: str  # "gsm7", "ucs2", "8bit", or "mixed" when segments differ
    segments: int
    modem: str
    message_references: tuple[int, ...]  # as the modem assigned them (+CMGS), in segment order
    received_at: datetime  # aware, UTC: when the last segment arrived
    concat_reference: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "text": self.text,
            "encoding": self.encoding,
            "segments": self.segments,
            "modem": self.modem,
            "message_references": list(self.message_references),
            "received_at": self.received_at.isoformat(),
            "concat_reference": self.concat_reference,
        }


@dataclass
class _Segment:
    text: str
    encoding: str
    message_reference: int


@dataclass
class _Partial:
    """Segments of one concatenated message received so far."""

    recipient: str
    modem: str
    reference: int
    total: int
    first_at: datetime
    parts: dict[int, _Segment] = field(default_factory=dict)
    duplicates: int = 0


# A real phone reassembles by originating address, reference and count; the modem name stands for
# the originating SIM, so segments of one reference sent through two modems never join (as on a phone).
_Key = tuple[str, str, int, int]


def _join_text(texts: list[str]) -> str:
    # A UCS-2 surrogate pair split across two segments arrives as two lone halves: join them.
    joined = "".join(texts)
    return joined.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now.astimezone(UTC)


class Handsets:
    """All virtual handsets. Thread-safe: every modem thread delivers into the same instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedSms] = []
        self._partial: dict[_Key, _Partial] = {}

    def deliver(self, pdu: SubmitPdu, *, modem: str, message_reference: int, now: datetime) -> ReceivedSms | None:
        """Store one segment; return the completed message when it was the last one missing, else None.

        ``message_reference`` is the TP-MR the modem assigned, not ``pdu.message_reference``. A segment
        whose sequence number already arrived for the same message is counted and otherwise ignored:
        the first copy wins.
        """
        at = _utc(now)
        segment = _Segment(text=pdu.text, encoding=pdu.encoding, message_reference=message_reference)
        with self._lock:
            if pdu.concat is None or pdu.concat.total == 1:
                return self._complete(
                    pdu.destination, modem, [segment], at, None if pdu.concat is None else pdu.concat.reference
                )
            key = (pdu.destination, modem, pdu.concat.reference, pdu.concat.total)
            partial = self._partial.get(key)
            if partial is None:
                partial = _Partial(pdu.destination, modem, pdu.concat.reference, pdu.concat.total, at)
                self._partial[key] = partial
            if pdu.concat.sequence in partial.parts:
                partial.duplicates += 1
                return None
            partial.parts[pdu.concat.sequence] = segment
            if len(partial.parts) < partial.total:
                return None
            del self._partial[key]
            ordered = [partial.parts[seq] for seq in range(1, partial.total + 1)]
            return self._complete(pdu.destination, modem, ordered, at, partial.reference)

    def _complete(
        self, recipient: str, modem: str, segments: list[_Segment], at: datetime, reference: int | None
    ) -> ReceivedSms:
        encodings = {s.encoding for s in segments}
        sms = ReceivedSms(
            recipient=recipient,
            text=_join_text([s.text for s in segments]),
            encoding=encodings.pop() if len(encodings) == 1 else "mixed",
            segments=len(segments),
            modem=modem,
            message_references=tuple(s.message_reference for s in segments),
            received_at=at,
            concat_reference=reference,
        )
        self._received.append(sms)
        return sms

    def received(self, recipient: str | None = None) -> list[ReceivedSms]:
        """Completed messages in the order they completed, for one recipient or for all."""
        with self._lock:
            return [m for m in self._received if recipient is None or m.recipient == recipient]

    def pending(self) -> list[dict[str, Any]]:
        """Incomplete concatenated messages, for diagnostics (JSON-serialisable)."""
        with self._lock:
            return [
                {
                    "recipient": p.recipient,
                    "modem": p.modem,
                    "concat_reference": p.reference,
                    "total": p.total,
                    "received_sequences": sorted(p.parts),
                    "duplicates": p.duplicates,
                    "first_at": p.first_at.isoformat(),
                }
                for p in self._partial.values()
            ]

    def reset(self) -> None:
        """Forget everything received and pending (between tests or on the control interface's order)."""
        with self._lock:
            self._received.clear()
            self._partial.clear()

    def to_json(self) -> list[dict[str, Any]]:
        """Completed messages as JSON-serialisable dicts, for the control interface."""
        return [m.to_json() for m in self.received()]
