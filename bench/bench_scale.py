"""Benchmark at scale: 100,000 members and 1,000,000 outbox rows in a temporary SQLite file.

Run: ``.venv/bin/python bench/bench_scale.py [members] [outbox_rows]``. Fiction-block numbers only
(+33639980000..+33639989999: with 100,000 members numbers repeat, as two shops sharing a number do).
Times a zone's targeting, whole-territory targeting, and the daily job (expiry, reminders, purge).
Prints a table; asserts nothing.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway.alerts.settings import TextSettings
from gateway.campaigns.daily import run_daily
from gateway.campaigns.settings import CampaignSettings
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.reference import load_reference, reference_index
from gateway.registry.targeting import count_target, recipients
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 06:00 in Saint-Martin, the daily job's time
TODAY = date(2026, 11, 27)
FIRST = 33639980000
CHUNK = 20_000
STATES = [MessageState.DELIVERED] * 7 + [MessageState.SENT, MessageState.FAILED, MessageState.DEAD]


def populate_members(session: Session, count: int, rng: random.Random) -> None:
    index = reference_index(session)
    zones, categories = sorted(index.zones), sorted(index.categories)
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, count)):
            registered = TODAY - timedelta(days=rng.randrange(0, 3 * 365 + 60))
            expires = (
                registered.replace(year=registered.year + 3)
                if (registered.month, registered.day) != (2, 29)
                else registered.replace(year=registered.year + 3, day=28)
            )
            rows.append(
                {
                    "siren": f"{i:09d}",
                    "name": f"Commerce {i}",
                    "category_id": categories[i % len(categories)],
                    "zone_id": zones[rng.randrange(len(zones))],
                    "street_id": None,
                    "address": "",
                    "contact": "Contact",
                    "registered_on": registered,
                    "expires_on": expires,
                    "status": MemberStatus.ACTIVE,
                    "consent_at": NOW,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "withdrawn_at": None,
                }
            )
        ids = session.execute(insert(Member).returning(Member.id), rows).scalars().all()
        session.execute(
            insert(MemberPhone),
            [
                {"member_id": member_id, "e164": f"+{FIRST + rng.randrange(10_000)}", "is_test": True, "position": 0}
                for member_id in ids
            ],
        )
    session.commit()


def populate_outbox(session: Session, count: int, rng: random.Random) -> None:
    for start in range(0, count, CHUNK):
        rows = []
        for _ in range(start, min(start + CHUNK, count)):
            created = NOW - timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
            rows.append(
                {
                    "recipient": f"+{FIRST + rng.randrange(10_000)}",
                    "text": "Vol signalé rue Kennedy",
                    "priority": Priority.ALERT,
                    "state": rng.choice(STATES),
                    "attempts": 1,
                    "max_attempts": 8,
                    "cancel_requested": False,
                    "created_at": created,
                    "updated_at": created,
                    "sent_at": created,
                    "alert_id": rng.randrange(1, 5000),
                }
            )
        session.execute(insert(OutboxMessage), rows)
    session.commit()


def timed(label: str, results: list[tuple[str, str, float]], fn: object) -> object:
    start = time.perf_counter()
    value = fn()  # type: ignore[operator]
    results.append((label, str(value), time.perf_counter() - start))
    return value


def main(members: int = 100_000, outbox_rows: int = 1_000_000) -> None:
    rng = random.Random(7)
    results: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scale.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        with sessions() as s:
            load_reference(s, DATA)
            s.commit()

            def insert_members() -> int:
                populate_members(s, members, rng)
                return members

            def insert_outbox() -> int:
                populate_outbox(s, outbox_rows, rng)
                return outbox_rows

            timed(f"insert {members:,} members", results, insert_members)
            timed(f"insert {outbox_rows:,} outbox rows", results, insert_outbox)
            timed(
                "count target: zone marigot", results, lambda: count_target(s, zones=["marigot"], today=TODAY).numbers
            )
            timed("recipients: zone marigot", results, lambda: len(recipients(s, zones=["marigot"], today=TODAY)))
            timed("recipients: whole territory", results, lambda: len(recipients(s, whole_territory=True, today=TODAY)))
            s.rollback()
        outbox = Outbox(engine)
        campaigns, hours, text = CampaignSettings(), DaytimeWindow(), TextSettings()
        first = timed(
            "daily job, first run",
            results,
            lambda: run_daily(sessions, outbox, NOW, campaigns=campaigns, hours=hours, text=text),
        )
        timed(
            "daily job, second run (idempotent)",
            results,
            lambda: (
                run_daily(
                    sessions, outbox, NOW + timedelta(minutes=5), campaigns=campaigns, hours=hours, text=text
                ).reminders.messages
            ),
        )
        engine.dispose()
    print(f"{'step':<40} {'result':>12} {'seconds':>9}")
    for label, value, seconds in results:
        print(f"{label:<40} {value[:12]:>12} {seconds:>9.2f}")
    report = first
    print(
        f"first daily run: expired={report.expired} reminders={report.reminders.messages} "  # type: ignore[attr-defined]
        f"purged messages={report.purged.messages}"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
