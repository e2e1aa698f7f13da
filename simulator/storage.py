"""Message storages of one modem (27.005 <mem>: "SM" SIM, "ME" phone, "MT" = both, "SR" status reports).

"MT" is modelled as an alias of "ME" rather than the union of SIM and phone memories: no client of this
project depends on the union, and a single index space keeps AT+CMGR/CMGD unambiguous.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

#: <stat> values of 27.005 §3.1, PDU mode integer and text mode string.
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT, ALL = 0, 1, 2, 3, 4
STAT_TEXT = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT", 4: "ALL"}
STAT_FROM_TEXT = {text: value for value, text in STAT_TEXT.items()}

CAPACITY = {"SM": 30, "ME": 100, "SR": 30}
READABLE = ("SM", "ME", "MT", "SR")
WRITABLE = ("SM", "ME", "MT")


def physical(mem: str) -> str:
    """The storage a <mem> name really designates."""
    return "ME" if mem == "MT" else mem


@dataclass(frozen=True)
class StoredMessage:
    """One stored SMS-DELIVER or SMS-STATUS-REPORT, with what text mode needs to show it."""

    index: int
    stat: int
    pdu: str
    kind: str  # "deliver" or "report"
    sender: str
    text: str
    timestamp: datetime
    message_reference: int = 0
    report_status: int = 0
    discharged: datetime | None = None


class MessageStore:
    """Fixed-capacity storages with 1-based indexes; thread-safe (incoming SMS arrive from other threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, dict[int, StoredMessage]] = {name: {} for name in CAPACITY}

    def add(self, mem: str, message: StoredMessage) -> int | None:
        """Store in the first free slot and return its index, or None when the storage is full."""
        mem = physical(mem)
        with self._lock:
            slots = self._slots[mem]
            for index in range(1, CAPACITY[mem] + 1):
                if index not in slots:
                    slots[index] = replace(message, index=index)
                    return index
        return None

    def get(self, mem: str, index: int) -> StoredMessage | None:
        with self._lock:
            return self._slots[physical(mem)].get(index)

    def mark_read(self, mem: str, index: int) -> None:
        with self._lock:
            slots = self._slots[physical(mem)]
            message = slots.get(index)
            if message is not None and message.stat == REC_UNREAD:
                slots[index] = replace(message, stat=REC_READ)

    def delete(self, mem: str, index: int) -> None:
        with self._lock:
            self._slots[physical(mem)].pop(index, None)

    def delete_many(self, mem: str, flag: int) -> None:
        """AT+CMGD <delflag>: 1 read, 2 read+sent, 3 read+sent+unsent, 4 all."""
        keep = {1: {REC_UNREAD, STO_UNSENT, STO_SENT}, 2: {REC_UNREAD, STO_UNSENT}, 3: {REC_UNREAD}}
        with self._lock:
            slots = self._slots[physical(mem)]
            for index in list(slots):
                if flag == 4 or slots[index].stat not in keep[flag]:
                    del slots[index]

    def list(self, mem: str, stat: int) -> list[StoredMessage]:
        with self._lock:
            slots = self._slots[physical(mem)]
            return [slots[i] for i in sorted(slots) if stat == ALL or slots[i].stat == stat]

    def usage(self, mem: str) -> tuple[int, int]:
        mem = physical(mem)
        with self._lock:
            return len(self._slots[mem]), CAPACITY[mem]

    def clear(self) -> None:
        with self._lock:
            for slots in self._slots.values():
                slots.clear()
