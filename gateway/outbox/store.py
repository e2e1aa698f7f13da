"""The outbox store: the one module that changes a message's state.

Every method is one short transaction, committed before it returns. Changes of a held row are
compare-and-set (``WHERE id = ? AND state = 'sending' AND worker_id = ?``) with a row-count check, so a
worker that lost its claim (recovered as stale, released) gets ``StaleClaim`` instead of overwriting.

Attempts are counted when a claim starts: a crash in the middle of a submit counts as an attempt, so a
message that crashes the daemon every time ends ``dead`` instead of looping. ``release`` gives the attempt
back, because the worker says it did not submit.

Cancelling a row a worker holds (``sending``) cannot stop a submit already under way; the row gets
``cancel_requested`` and ends ``cancelled`` if the worker reports back without having sent (retry, release,
stale recovery), ``sent`` if the modem had accepted it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, or_, select, true, update
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from gateway.outbox.errors import InvalidMessage, StaleClaim
from gateway.outbox.models import OutboxMessage, Priority, SubmittedPart
from gateway.outbox.reads import OutboxReader, due_conditions
from gateway.outbox.retry import RandomSource, RetryPolicy
from gateway.outbox.states import MessageEvent, MessageState, sources, transition
from gateway.outbox.types import (
    CancelResult,
    ClaimedMessage,
    NewMessage,
    ReportOutcome,
    SendGuard,
)
from gateway.storage import dialect
from gateway.storage.db import session_factory

M = OutboxMessage
BULK_CHUNK = 5000
UNKNOWN_PREFIX = "outcome unknown: "
S, E = MessageState, MessageEvent
_NO_SYNC = {"synchronize_session": False}
# Numbers a claim leaves alone: a list, or a query selecting them (run inside the claim's transaction).
Recipients = Iterable[str] | Select[Any] | None
# Built once: this statement runs between two submits of every modem, so its construction cost counts.
_MESSAGES = cast(Table, M.__table__)
_PARTS = cast(Table, SubmittedPart.__table__)
_COLS = _MESSAGES.c
_MARK_SENT = (
    update(_MESSAGES)
    .where(_COLS.id == bindparam("b_id"), _COLS.state == S.SENDING, _COLS.worker_id == bindparam("b_worker"))
    .values(
        state=transition(S.SENDING, E.SENT),
        message_refs=bindparam("b_refs"),
        segments=bindparam("b_segments"),
        encoding=bindparam("b_encoding"),
        sent_at=bindparam("b_at"),
        last_error=None,
    )
    .returning(_COLS.modem_id)
)
_INSERT_PART = insert(_PARTS)
_ALWAYS = true()
_CLAIM_COLUMNS = (
    M.id,
    M.recipient,
    M.text,
    M.priority,
    M.attempts,
    M.max_attempts,
    M.expires_at,
    M.alert_id,
    M.campaign_id,
    M.created_at,
    M.rank,
)
# The sending order, which the claim index follows: priority, then alert by alert as they were dropped (an alert's
# rows share its fan-out's created_at), nearest first within an alert (rank), then the fan-out's order.
CLAIM_ORDER = (M.priority, M.created_at, M.rank, M.id)


class Outbox(OutboxReader):
    """The durable queue of messages to send.

    ``notify`` is called after a commit that makes work available (enqueue, release, recovery), so that the
    dispatcher wakes at once instead of polling. It must be cheap and must not raise (set an Event).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        retry: RetryPolicy | None = None,
        rng: RandomSource | None = None,
        notify: Callable[[int | None], None] | None = None,
    ) -> None:
        super().__init__(engine)
        self._sessions = session_factory(engine)
        self.retry = retry or RetryPolicy()
        self._rng: RandomSource = rng or random.Random()  # noqa: S311 - jitter, not security
        self._notify = notify
        self._checks: dict[ColumnElement[bool], Select[Any]] = {}  # check_before_submit's statement, by condition

    # -- writes -------------------------------------------------------------------------------------

    def enqueue(self, session: Session, messages: Iterable[NewMessage], now: datetime) -> list[int]:
        """Add messages inside the caller's transaction (a fan-out is one commit) and return their ids.

        Nothing is visible to workers until the caller commits; ``notify`` runs after that commit.
        """
        rows = [M(**self._new_row(message, now)) for message in messages]
        session.add_all(rows)
        session.flush()
        if rows:
            self._announce(session, min(int(row.priority) for row in rows))
        return [row.id for row in rows]

    def enqueue_many(self, session: Session, messages: Sequence[NewMessage], now: datetime) -> int:
        """Like ``enqueue`` for large fan-outs, without returning ids: one Core ``executemany`` per chunk.

        An ORM object per row costs about 0.8 s for 10,000 rows; this keeps a 10,000-recipient alert well
        under a second. Callers find the ids by their own keys (e.g. alert id and recipient).
        """
        rows = [self._new_row(message, now) for message in messages]
        for start in range(0, len(rows), BULK_CHUNK):
            session.execute(insert(M), rows[start : start + BULK_CHUNK])
        if rows:
            self._announce(session, min(int(row["priority"]) for row in rows))
        return len(rows)

    def _new_row(self, message: NewMessage, now: datetime) -> dict[str, Any]:
        """The column values of a message entering the queue (validated first)."""
        message.validate()
        return {
            "recipient": message.recipient,
            "text": message.text,
            "priority": Priority(message.priority),
            "state": S.QUEUED,
            "not_before": message.not_before,
            "expires_at": message.expires_at,
            "attempts": 0,
            "max_attempts": message.max_attempts or self.retry.max_attempts,
            "cancel_requested": False,
            "created_at": now,
            "updated_at": now,
            "alert_id": message.alert_id,
            "campaign_id": message.campaign_id,
            "rank": message.rank,
        }

    def _announce(self, session: Session, priority: int) -> None:
        """After the commit, wake the workers with the most urgent priority queued, so that a worker in the
        middle of a batch of reminders hands it back for an alert."""
        if self._notify is None:
            return
        pending: dict[Callable[[int | None], None], int] = session.info.setdefault("outbox_notify", {})
        pending[self._notify] = min(priority, pending.get(self._notify, priority))
        _listen_after_commit(session)

    def enqueue_one(self, message: NewMessage, now: datetime) -> int:
        """Enqueue one message in its own transaction; committed when this returns."""
        with self._sessions.begin() as session:
            (message_id,) = self.enqueue(session, [message], now)
        return message_id

    def claim(
        self,
        worker_id: str,
        modem_id: str,
        *,
        now: datetime,
        limit: int = 1,
        priorities: Iterable[Priority] | None = None,
        exclude_recipients: Recipients = None,
        exclude_alert_recipients: Recipients = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[ClaimedMessage]:
        """Atomically move up to ``limit`` due rows to ``sending`` for this worker; best priority, oldest first.

        Due: queued, ``not_before`` and ``next_attempt_at`` passed. Queued rows past ``expires_at`` become
        ``dead`` on the way. ``priorities`` restricts the claim (e.g. no reminders at night);
        ``exclude_recipients`` skips numbers (stuck to another SIM), ``exclude_alert_recipients`` skips only the
        alerts to those numbers (each a list or a query selecting numbers), ``exclude_ids`` skips rows (one this
        modem may already have sent). Whether each row may still go is checked right before its submit
        (``check_before_submit``), not here.
        """
        if limit < 1:
            return []
        with self._sessions.begin() as session:
            self._expire(session, now)
            return self._claim_rows(
                session,
                worker_id=worker_id,
                modem_id=modem_id,
                now=now,
                limit=limit,
                priorities=priorities,
                exclude_recipients=exclude_recipients,
                exclude_alert_recipients=exclude_alert_recipients,
                exclude_ids=exclude_ids,
            )

    def check_before_submit(self, message: ClaimedMessage, guard: SendGuard | None, now: datetime) -> str | None:
        """The last-moment check, run by the worker right before each submit: None when the message may go,
        else why not (the row is then cancelled, or was taken from this worker).

        One indexed read: the row (still this worker's claim, no cancel requested since: an alert or campaign
        cancel sets ``cancel_requested`` on the rows being sent) and ``guard``, the recipient rule as a condition
        on the row's columns (``gateway.alerts.guard``). Only a refusal writes.
        """
        allowed = _ALWAYS if guard is None else guard(_COLS.recipient, _COLS.alert_id, _COLS.campaign_id)
        statement = self._checks.get(allowed)
        if statement is None:  # once a day with send_guard, which gives the same condition all day
            statement = select(_COLS.state, _COLS.worker_id, _COLS.cancel_requested, allowed.label("allowed")).where(
                _COLS.id == bindparam("b_id")
            )
            self._checks = {allowed: statement}
        with self._read_sessions.begin() as session:
            row = session.execute(statement, {"b_id": message.id}).first()
        if row is None or row.state is not S.SENDING or row.worker_id != message.worker_id:
            return "claim lost"
        if row.cancel_requested:
            reason = "cancelled while claimed"
        elif not row.allowed:
            reason = "recipient no longer allowed"
        else:
            return None
        with self._sessions.begin() as session:
            self._cas_one(session, message.id, message.worker_id, E.CANCEL, now=now, values={"last_error": reason})
        return reason

    def mark_sent(
        self,
        message_id: int,
        worker_id: str,
        *,
        refs: Sequence[int],
        segments: int,
        encoding: str,
        now: datetime,
        also: Callable[[Session], None] | None = None,
    ) -> None:
        """The modem accepted every part: record the references (for reports) and move to ``sent``.

        ``also`` writes more in the same transaction (the SIM budget counters): one disk sync per message.
        """
        with self._sessions.begin() as session:
            row = session.execute(
                _MARK_SENT,
                {
                    "b_id": message_id,
                    "b_worker": worker_id,
                    "b_refs": ",".join(str(r) for r in refs),
                    "b_segments": segments,
                    "b_encoding": encoding,
                    "b_at": now,
                },
            ).first()
            if row is None:
                raise StaleClaim(message_id, worker_id)
            # Core insert, not the ORM's unit of work: this commit sits between two submits of a modem.
            session.execute(
                _INSERT_PART,
                [
                    {
                        "message_id": message_id,
                        "part_no": i,
                        "modem_id": row.modem_id,
                        "reference": ref % 256,
                        "submitted_at": now,
                        "final": False,
                    }
                    for i, ref in enumerate(refs, start=1)
                ],
            )
            if also is not None:
                also(session)

    def mark_retry(self, message_id: int, worker_id: str, error: str, now: datetime) -> MessageState:
        """A retryable failure: back to ``queued`` after a backoff, or ``dead`` when out of attempts or time.

        Returns the new state (``cancelled`` when a cancel arrived meanwhile).
        """
        with self._sessions.begin() as session:
            return self._requeue(session, message_id, worker_id, error=error, now=now, min_delay=timedelta(0))

    def resend(
        self, message_id: int, worker_id: str, *, error: str, now: datetime, unknown: bool = False
    ) -> MessageState:
        """Back to ``queued``, due at once (no back-off), the attempt counted: for another modem to send now.

        For an alert whose submit outcome is unknown (``unknown``: a late ``+CMGS`` may still mark it sent while it
        waits) and for a message whose modem was judged sick on it. ``dead`` when out of attempts or time.
        """
        error = f"{UNKNOWN_PREFIX}{error}" if unknown else error
        with self._sessions.begin() as session:
            return self._requeue(session, message_id, worker_id, error=error, now=now, min_delay=None)

    def retry_now(self, ids: Iterable[int], now: datetime) -> int:
        """Queued rows among ``ids`` waiting a retry back-off become due at once (their failure was a sick
        modem's, judged after the fact); how many. Nothing else changes, the attempts stay counted."""
        wanted = list(ids)
        if not wanted:
            return 0
        with self._sessions.begin() as session:
            changed = int(
                session.execute(
                    update(M)
                    .where(M.id.in_(wanted), M.state == S.QUEUED, M.next_attempt_at > now)
                    .values(next_attempt_at=now, updated_at=now),
                    execution_options=_NO_SYNC,
                ).rowcount  # type: ignore[attr-defined]
            )
        self._wake(changed)
        return changed

    def mark_failed(self, message_id: int, worker_id: str, error: str, now: datetime) -> None:
        """A permanent error (invalid number, barred): ``failed``, never retried."""
        with self._sessions.begin() as session:
            self._cas_one(session, message_id, worker_id, E.FAIL, now=now, values={"last_error": error})

    def release(self, worker_id: str, now: datetime, *, ids: Iterable[int] | None = None) -> int:
        """Give back rows this worker holds (all, or only ``ids``) without counting an attempt.

        For shutdown, a lost modem, or the unsent rest of a batch preempted by an alert.
        """
        held: list[ColumnElement[bool]] = [M.worker_id == worker_id]
        if ids is not None:
            held.append(M.id.in_(list(ids)))
        with self._sessions.begin() as session:
            cancelled = self._cas(
                session,
                E.CANCEL,
                [*held, M.cancel_requested.is_(True)],
                now,
                source=S.SENDING,
                worker_id=None,
            )
            released = self._cas(
                session,
                E.RELEASE,
                held,
                now,
                worker_id=None,
                claimed_at=None,
                modem_id=None,
                attempts=M.attempts - 1,
            )
        self._wake(released)
        return released + cancelled

    def cancel_claimed(self, message_id: int, worker_id: str, *, reason: str, now: datetime) -> None:
        """The worker decided not to send a row it holds (recipient withdrawn since the claim)."""
        with self._sessions.begin() as session:
            self._cas_one(session, message_id, worker_id, E.CANCEL, now=now, values={"last_error": reason})

    def mark_unknown(
        self, message_id: int, worker_id: str, *, error: str, now: datetime, hold: timedelta = timedelta(minutes=10)
    ) -> MessageState:
        """The submit may or may not have left (timeout after the PDU was written).

        The row goes back to ``queued`` but not before ``hold`` (or the backoff, if longer), so a late
        confirmation has time to arrive before a resend risks texting the member twice; the attempt counts.
        """
        with self._sessions.begin() as session:
            return self._requeue(
                session, message_id, worker_id, error=f"{UNKNOWN_PREFIX}{error}", now=now, min_delay=hold
            )

    def confirm_late(self, message_id: int, modem_id: str, reference: int, now: datetime) -> bool:
        """A late ``+CMGS`` proves that a submit held by ``mark_unknown`` left: the row becomes ``sent``
        instead of being resent. False when it is too late (the row was claimed again or is final)."""
        with self._sessions.begin() as session:
            changed = self._cas(
                session,
                E.LATE_SENT,
                [M.id == message_id, M.last_error.like(f"{UNKNOWN_PREFIX}%")],
                now,
                message_refs=str(reference % 256),
                sent_at=now,
                next_attempt_at=None,
                modem_id=modem_id,
                last_error=None,
            )
            if changed:
                session.add(
                    SubmittedPart(
                        message_id=message_id,
                        part_no=1,
                        modem_id=modem_id,
                        reference=reference % 256,
                        submitted_at=now,
                        final=False,
                    )
                )
        return changed == 1

    def heartbeat(self, worker_id: str, now: datetime) -> int:
        """Refresh ``claimed_at`` of this worker's rows so a long submit is not taken for a dead claim."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(M).where(M.state == S.SENDING, M.worker_id == worker_id).values(claimed_at=now),
                execution_options=_NO_SYNC,
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def recover_stale(self, older_than: timedelta, now: datetime) -> int:
        """Claims older than ``older_than`` (dead worker) go back to ``queued``; the attempt still counts.

        At start-up of the only process using the database, ``older_than=timedelta(0)`` recovers every claim.
        """
        cutoff = now - older_than
        stale = [M.claimed_at <= cutoff]
        with self._sessions.begin() as session:
            recovered = self._cas(
                session,
                E.CANCEL,
                [*stale, M.cancel_requested.is_(True)],
                now,
                source=S.SENDING,
                worker_id=None,
            )
            recovered += self._cas(
                session,
                E.GIVE_UP,
                [*stale, M.attempts >= M.max_attempts],
                now,
                worker_id=None,
                last_error="out of attempts (claims lost in crashes)",
            )
            requeued = self._cas(session, E.RELEASE, stale, now, worker_id=None, claimed_at=None, modem_id=None)
        self._wake(requeued)
        return recovered + requeued

    def cancel(
        self,
        *,
        ids: Iterable[int] | None = None,
        alert_id: int | None = None,
        campaign_id: int | None = None,
        now: datetime,
    ) -> CancelResult:
        """Cancel queued rows by id, alert or campaign; rows being sent get ``cancel_requested`` (see module)."""
        where: list[ColumnElement[bool]] = []
        if ids is not None:
            where.append(M.id.in_(list(ids)))
        if alert_id is not None:
            where.append(M.alert_id == alert_id)
        if campaign_id is not None:
            where.append(M.campaign_id == campaign_id)
        if not where:
            raise InvalidMessage("cancel needs ids, alert_id or campaign_id")
        with self._sessions.begin() as session:
            cancelled = self._cas(session, E.CANCEL, where, now, source=S.QUEUED)
            pending = session.execute(
                update(M).where(*where, M.state == S.SENDING).values(cancel_requested=True, updated_at=now),
                execution_options=_NO_SYNC,
            ).rowcount  # type: ignore[attr-defined]
        return CancelResult(cancelled=cancelled, pending=int(pending))

    def record_report(
        self,
        modem_id: str,
        reference: int,
        *,
        delivered: bool,
        final: bool,
        now: datetime,
        window: timedelta = timedelta(hours=72),
    ) -> ReportOutcome | None:
        """Apply a delivery report to the part it answers; None when no submit matches.

        References are one byte and wrap at 256, so the match is the most recent submit of that reference
        by that modem within ``window``. A message is ``delivered`` when every part is, ``failed`` when a
        part's final report says not delivered. Call ``mark_sent`` before feeding that modem's reports.
        """
        final = final or delivered
        with self._sessions.begin() as session:
            # Core rows, not ORM objects: this transaction holds the writer lock that mark_sent waits for.
            part = session.execute(
                select(SubmittedPart.id, SubmittedPart.message_id, SubmittedPart.part_no)
                .where(
                    SubmittedPart.modem_id == modem_id,
                    SubmittedPart.reference == reference % 256,
                    SubmittedPart.submitted_at >= now - window,
                    SubmittedPart.submitted_at <= now,
                )
                .order_by(SubmittedPart.submitted_at.desc(), SubmittedPart.id.desc())
                .limit(1)
            ).first()
            if part is None:
                return None
            session.execute(
                update(_PARTS).where(_PARTS.c.id == part.id).values(delivered=delivered, final=final, reported_at=now)
            )
            parts = session.execute(
                select(SubmittedPart.delivered, SubmittedPart.final).where(SubmittedPart.message_id == part.message_id)
            ).all()
            event: MessageEvent | None = None
            if any(p.final and not p.delivered for p in parts):
                event = E.REPORT_FAILED
            elif all(p.delivered for p in parts):
                event = E.DELIVERED
            changed = False
            if event is not None:
                extra: dict[str, Any] = (
                    {"delivered_at": now} if event is E.DELIVERED else {"last_error": "delivery report: not delivered"}
                )
                changed = self._cas(session, event, [M.id == part.message_id], now, **extra) == 1
            state = session.scalar(select(M.state).where(M.id == part.message_id))
            assert state is not None  # the part's foreign key guarantees the row
            return ReportOutcome(part.message_id, part.part_no, state, changed)

    # -- internals ----------------------------------------------------------------------------------

    def _claim_rows(
        self,
        session: Session,
        *,
        worker_id: str,
        modem_id: str,
        now: datetime,
        limit: int,
        priorities: Iterable[Priority] | None,
        exclude_recipients: Recipients,
        exclude_alert_recipients: Recipients,
        exclude_ids: Iterable[int],
    ) -> list[ClaimedMessage]:
        conditions = due_conditions(now)
        if priorities is not None:
            conditions.append(M.priority.in_([Priority(p) for p in priorities]))
        excluded = _numbers(exclude_recipients)
        if excluded is not None:
            conditions.append(M.recipient.not_in(excluded))
        alerts_excluded = _numbers(exclude_alert_recipients)
        if alerts_excluded is not None:
            conditions.append(or_(M.priority != Priority.ALERT, M.recipient.not_in(alerts_excluded)))
        ids = list(exclude_ids)
        if ids:
            conditions.append(M.id.not_in(ids))
        db_dialect = session.get_bind().dialect
        candidates = dialect.lock_for_claim(
            select(M.id).where(*conditions).order_by(*CLAIM_ORDER).limit(limit), db_dialect
        )
        target = transition(S.QUEUED, E.CLAIM)
        values = {
            "state": target,
            "worker_id": worker_id,
            "modem_id": modem_id,
            "claimed_at": now,
            "updated_at": now,
            "attempts": M.attempts + 1,
            "next_attempt_at": None,
        }
        if dialect.supports_update_returning(db_dialect):
            stmt = update(M).where(M.id.in_(candidates), M.state == S.QUEUED).values(values)
            rows = session.execute(stmt.returning(*_CLAIM_COLUMNS), execution_options=_NO_SYNC).all()
        else:  # SQLite < 3.35: the BEGIN IMMEDIATE lock makes select-then-update just as atomic
            ids = list(session.scalars(candidates))
            session.execute(update(M).where(M.id.in_(ids)).values(values), execution_options=_NO_SYNC)
            rows = session.execute(select(*_CLAIM_COLUMNS).where(M.id.in_(ids))).all()
        claimed = [
            ClaimedMessage(
                id=r.id,
                recipient=r.recipient,
                text=r.text,
                priority=Priority(r.priority),
                attempts=r.attempts,
                max_attempts=r.max_attempts,
                expires_at=r.expires_at,
                alert_id=r.alert_id,
                campaign_id=r.campaign_id,
                modem_id=modem_id,
                worker_id=worker_id,
                claimed_at=now,
                created_at=r.created_at,
            )
            for r in sorted(rows, key=lambda r: (r.priority, r.created_at, r.rank, r.id))
        ]
        return claimed

    def _requeue(
        self,
        session: Session,
        message_id: int,
        worker_id: str,
        *,
        error: str,
        now: datetime,
        min_delay: timedelta | None,
    ) -> MessageState:
        """``min_delay`` None: due at once, whatever the back-off (still ``dead`` when out of attempts)."""
        row = session.execute(
            select(M.attempts, M.max_attempts, M.expires_at, M.cancel_requested).where(
                M.id == message_id, M.state == S.SENDING, M.worker_id == worker_id
            )
        ).first()
        if row is None:
            raise StaleClaim(message_id, worker_id)
        next_at = self.retry.next_attempt(row.attempts, now, self._rng, max_attempts=row.max_attempts)
        if next_at is not None:
            next_at = now if min_delay is None else max(next_at, now + min_delay)
        values: dict[str, Any] = {"last_error": error, "worker_id": None, "claimed_at": None}
        if row.cancel_requested:
            event = E.CANCEL
        elif next_at is None or (row.expires_at is not None and next_at >= row.expires_at):
            event = E.GIVE_UP
        else:
            event, values["next_attempt_at"], values["modem_id"] = E.RETRY, next_at, None
        self._cas_one(session, message_id, worker_id, event, now=now, values=values)
        return transition(S.SENDING, event)

    def _expire(self, session: Session, now: datetime) -> int:
        return self._cas(
            session,
            E.EXPIRE,
            [M.expires_at.is_not(None), M.expires_at <= now],
            now,
            last_error="expired before it could be sent",
        )

    def _held(self, message_id: int, worker_id: str, event: MessageEvent) -> Any:
        """UPDATE of one row held by ``worker_id``, to the state ``event`` leads to from ``sending``."""
        return (
            update(M)
            .where(M.id == message_id, M.state == S.SENDING, M.worker_id == worker_id)
            .values(state=transition(S.SENDING, event))
        )

    def _cas_one(
        self,
        session: Session,
        message_id: int,
        worker_id: str,
        event: MessageEvent,
        *,
        now: datetime,
        values: dict[str, Any],
    ) -> None:
        result = session.execute(
            self._held(message_id, worker_id, event).values(updated_at=now, **values), execution_options=_NO_SYNC
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleClaim(message_id, worker_id)

    def _cas(
        self,
        session: Session,
        event: MessageEvent,
        where: list[Any],
        now: datetime,
        *,
        source: MessageState | None = None,
        **values: Any,
    ) -> int:
        """Bulk compare-and-set: rows in a source state of ``event`` matching ``where``; returns the count."""
        states = sorted(sources(event)) if source is None else [source]
        total = 0
        for state in states:
            result = session.execute(
                update(M)
                .where(M.state == state, *where)
                .values(state=transition(state, event), updated_at=now, **values),
                execution_options=_NO_SYNC,
            )
            total += int(result.rowcount)  # type: ignore[attr-defined]
        return total

    def _wake(self, count: int) -> None:
        if count and self._notify is not None:
            self._notify(None)


def _numbers(given: Recipients) -> list[str] | Select[Any] | None:
    """Numbers to leave alone, as the claim's NOT IN takes them; None when there are none."""
    if given is None or isinstance(given, Select):
        return given
    numbers = list(given)
    return numbers or None


def _listen_after_commit(session: Session) -> None:
    if session.info.get("outbox_listening"):
        return
    session.info["outbox_listening"] = True

    def _after_commit(committed: Session) -> None:
        for notify, priority in committed.info.pop("outbox_notify", {}).items():
            notify(priority)

    def _after_rollback(rolled_back: Session) -> None:
        rolled_back.info.pop("outbox_notify", None)

    sa_event.listen(session, "after_commit", _after_commit)
    sa_event.listen(session, "after_rollback", _after_rollback)
