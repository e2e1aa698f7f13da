"""Wake-ups instead of polling: a commit wakes every idle worker, and tells a busy one to yield.

``notify(priority)`` is called after a commit that queued messages (in this process: the outbox's
``notify`` hook; from other processes: the HTTP API or a periodic safety wake-up). Each worker owns a
``Mailbox``; waiting on it returns as soon as something was queued, and ``preempting(priority)`` tells a
worker in the middle of a batch that something more urgent than what it holds is waiting.
"""

from __future__ import annotations

import threading


class Mailbox:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending = False
        self._best: int | None = None  # lowest (most urgent) priority notified since the last take

    def post(self, priority: int | None) -> None:
        with self._cond:
            self._pending = True
            if priority is not None and (self._best is None or priority < self._best):
                self._best = priority
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds or until a post; True when woken by a post."""
        with self._cond:
            if not self._pending and timeout > 0:
                self._cond.wait(timeout)
            woken = self._pending
            self._pending = False
            return woken

    def preempting(self, priority: int) -> bool:
        """True once when a message more urgent than ``priority`` was queued since the last call."""
        with self._cond:
            if self._best is not None and self._best < priority:
                self._best = None
                return True
            return False

    def clear_priority(self) -> None:
        with self._cond:
            self._best = None


class Wakeup:
    """Fan-out of notifications to the workers' mailboxes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boxes: list[Mailbox] = []

    def mailbox(self) -> Mailbox:
        box = Mailbox()
        with self._lock:
            self._boxes.append(box)
        return box

    def remove(self, box: Mailbox) -> None:
        with self._lock:
            if box in self._boxes:
                self._boxes.remove(box)

    def notify(self, priority: int | None = None) -> None:
        with self._lock:
            boxes = list(self._boxes)
        for box in boxes:
            box.post(priority)
