"""The backup retention rule: newest per day for the last N days with a backup, newest per ISO week for M weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.storage.retention import Retention, file_name, time_of, to_keep

START = datetime(2025, 3, 3, 3, 15, tzinfo=UTC)  # a Monday


def day_of(moment: datetime) -> date:
    return moment.date()


def daily(days: int, start: datetime = START) -> list[datetime]:
    return [start + timedelta(days=i) for i in range(days)]


@pytest.mark.parametrize(
    ("times", "keep", "expected"),
    [
        ([], Retention(14, 8), set()),
        ([START], Retention(1, 0), {START}),
        # 14 daily backups: all kept.
        (daily(14), Retention(14, 8), set(daily(14))),
        # 15 days, no weekly: the oldest day goes.
        (daily(15), Retention(14, 0), set(daily(15)[1:])),
        # Two a day: only the newest of each day.
        (
            [START, START + timedelta(hours=5), START + timedelta(days=1)],
            Retention(14, 0),
            {START + timedelta(hours=5), START + timedelta(days=1)},
        ),
        # 70 days, 14 daily + 8 weekly: the 14 newest days, and Sundays (newest of their week) further back.
        (
            daily(70),
            Retention(14, 8),
            set(daily(70)[-14:]) | {t for t in daily(70)[-56:] if t.isoweekday() == 7},
        ),
        # A station off for a month: the days that *have* backups count, so the last ones before the gap stay.
        (
            daily(5) + daily(3, START + timedelta(days=40)),
            Retention(6, 0),
            set(daily(5)[2:] + daily(3, START + timedelta(days=40))),
        ),
        # weekly = 0 and daily = 1: only the newest.
        (daily(30), Retention(1, 0), {daily(30)[-1]}),
    ],
)
def test_to_keep(times: list[datetime], keep: Retention, expected: set[datetime]) -> None:
    assert to_keep(times, keep, day_of) == expected


def test_days_are_the_stations_days() -> None:
    # 02:00 UTC is still the previous evening in Saint-Martin (UTC-4): both backups fall on one local day.
    evening, night = datetime(2025, 3, 3, 23, 0, tzinfo=UTC), datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
    local = timedelta(hours=-4)
    assert to_keep([evening, night], Retention(14, 0), lambda t: (t + local).date()) == {night}
    assert to_keep([evening, night], Retention(14, 0), day_of) == {evening, night}


def test_retention_refuses_keeping_nothing() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Retention(0, 8)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vigicommerce-20250303T031500Z.db", datetime(2025, 3, 3, 3, 15, tzinfo=UTC)),
        ("vigicommerce-20250303T031500Z.dump", datetime(2025, 3, 3, 3, 15, tzinfo=UTC)),
        ("vigicommerce-20250303T031500Z.db.partial", None),
        (".vigicommerce-20250303T031500Z.db.partial", None),
        ("gateway.db", None),
        ("vigicommerce-before-restore-20250303T031500.dump", None),
        ("notes.txt", None),
    ],
)
def test_only_backup_names_carry_a_time(name: str, expected: datetime | None) -> None:
    assert time_of(name) == expected


def test_file_name_round_trips() -> None:
    assert time_of(file_name(START, "db")) == START
    assert file_name(START, "db") == "vigicommerce-20250303T031500Z.db"
