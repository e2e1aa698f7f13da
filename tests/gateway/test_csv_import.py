"""CSV import/export: all or nothing, every bad row reported, idempotent, fast in bulk, survives SIGKILL."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit import entries
from gateway.registry import members as m
from gateway.registry.csv_io import COLUMNS, import_members
from gateway.registry.exporting import EXPORT_COLUMNS, export_members
from gateway.registry.fiction import write_members_csv
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.reference import load_reference
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE = DATA / "members-sample.csv"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
# The format of data/members-sample.csv: no SIRET column (establishments known by SIREN only).
HEADER = ",".join(c for c in COLUMNS if c != "siret")
GOOD = "246341275,Bijouterie Test,bijouterie,1 Rue Kennedy,Rue Kennedy,marigot,+33639980001,Jeanne,2025-01-10"
GOOD2 = "078984705,Pharmacie Test,pharmacie,Galisbay,,galisbay,+33639980002;06 39 98 00 03,Paul,2022-02-02"


def make_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        load_reference(s, DATA)
        s.commit()
    engine.dispose()
    return url


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(make_db(tmp_path / "import.db"))
    with Session(engine) as s:
        yield s
    engine.dispose()


def write(tmp_path: Path, *lines: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def run(session: Session, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return import_members(session, path.read_bytes(), source=path.name, today=TODAY, now=NOW, actor="ccism.test", **kw)  # type: ignore[arg-type]


def member_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Member.id))) or 0)


def test_sample_import_counts_members_numbers_and_expired(session: Session) -> None:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Independent rule: a registration older than three years (before 2023-11-27) is expired today.
    expected_expired = sum(1 for r in rows if date.fromisoformat(r["registered_on"]) < date(2023, 11, 27))
    expected_numbers = sum(len(r["phones"].split(";")) for r in rows)
    assert 0 < expected_expired < len(rows)

    progress: list[tuple[int, int]] = []
    report = run(session, SAMPLE, on_progress=lambda done, total: progress.append((done, total)))

    assert report.ok and report.committed
    assert (report.total, report.created, report.updated, report.unchanged) == (2000, 2000, 0, 0)
    assert member_count(session) == 2000
    assert session.scalar(select(func.count(MemberPhone.id))) == expected_numbers == 2623
    expired = session.scalar(select(func.count(Member.id)).where(Member.status == MemberStatus.EXPIRED))
    assert expired == expected_expired
    assert progress[-1] == (4000, 4000)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    (row,) = entries(session, action="registry.import")
    assert (row.actor, row.subject, row.count) == ("ccism.test", "file:members-sample.csv", 2000)
    assert row.details["created"] == 2000


def test_reimport_changes_nothing(session: Session) -> None:
    run(session, SAMPLE)
    report = run(session, SAMPLE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2000)
    assert member_count(session) == 2000


def test_export_then_import_is_unchanged_and_byte_identical(session: Session, tmp_path: Path) -> None:
    run(session, SAMPLE)
    out = tmp_path / "export.csv"
    with out.open("wb") as handle:
        assert export_members(session, handle, today=TODAY) == 2000
    with out.open(encoding="utf-8", newline="") as exported, SAMPLE.open(encoding="utf-8", newline="") as sample:
        rows = list(csv.reader(exported))
        assert rows[0] == list(EXPORT_COLUMNS)
        # The sample's rows, with an empty SIRET column after the SIREN (E.164 numbers, which start with a
        # '+', get the apostrophe that keeps spreadsheets from reading them as formulas).
        width = len(COLUMNS)
        unquoted = [[cell.removeprefix("'") for cell in r[:width]] for r in rows]
        assert [r[:1] + r[2:] for r in unquoted] == list(csv.reader(sample))
        assert all(r[1] == "" for r in rows[1:])
    report = run(session, out)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2000)
    again = io.BytesIO()
    export_members(session, again, today=TODAY)
    assert again.getvalue() == out.read_bytes()


def test_export_can_filter_by_status(session: Session, tmp_path: Path) -> None:
    run(session, write(tmp_path, HEADER, GOOD, GOOD2))
    buffer = io.BytesIO()
    assert export_members(session, buffer, statuses=[MemberStatus.EXPIRED], today=TODAY) == 1
    assert buffer.getvalue().decode().splitlines()[1].startswith("078984705,")


def test_dry_run_counts_and_writes_nothing(session: Session, tmp_path: Path) -> None:
    report = run(session, write(tmp_path, HEADER, GOOD, GOOD2), dry_run=True)
    assert report.ok and not report.committed
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert member_count(session) == 0
    assert entries(session) == []


def test_changed_row_is_updated_and_numbers_follow(session: Session, tmp_path: Path) -> None:
    run(session, write(tmp_path, HEADER, GOOD, GOOD2))
    changed = GOOD2.replace("Pharmacie Test", "Pharmacie Neuve").replace(
        "+33639980002;06 39 98 00 03", "+33639980003;+33639980004"
    )
    report = run(session, write(tmp_path, HEADER, GOOD, changed, name="v2.csv"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    member = m.get_member(session, "078984705")
    session.refresh(member)
    assert member.name == "Pharmacie Neuve"
    assert [(p.e164, p.position) for p in member.phones] == [("+33639980003", 0), ("+33639980004", 1)]


def test_import_keeps_renewals_suspensions_and_stops(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD, GOOD2)
    run(session, path)
    m.renew(session, "078984705", today=TODAY, now=NOW, actor="op")  # expired: renewed from today
    m.suspend(session, "246341275", now=NOW, actor="op")
    m.withdraw_number(session, "+33639980002", now=NOW, actor="sms")
    session.commit()
    report = run(session, path)
    assert report.unchanged == 2
    pharmacy = m.get_member(session, "078984705")
    assert pharmacy.expires_on == date(2029, 11, 27)
    assert pharmacy.status is MemberStatus.ACTIVE
    assert m.get_member(session, "246341275").status is MemberStatus.SUSPENDED
    assert not m.is_number_allowed(session, "+33639980002", TODAY)
    assert m.is_number_allowed(session, "+33639980003", TODAY)


BAD_ROWS = [
    ("123456789,X,bijouterie,a,,marigot,+33639980010,c,2025-01-01", "clé de contrôle"),
    ("682734884,X,casino,a,,marigot,+33639980011,c,2025-01-01", "catégorie inconnu(e) « casino »"),
    ("110904349,X,bijouterie,a,,paris,+33639980012,c,2025-01-01", "zone inconnu(e) « paris »"),
    (
        "339808214,X,bijouterie,a,Rue Lady Fish,marigot,+33639980013,c,2025-01-01",
        "est dans la zone Sandy Ground, pas dans Marigot",
    ),
    ("855374658,X,bijouterie,a,,marigot,0690 12,c,2025-01-01", "trop court"),
    ("696090042,X,bijouterie,a,,marigot,+33639980014,c,13/13/2025", "date d'inscription invalide"),
    ("696090042,X,bijouterie,a,,marigot,+33639980014,c,2030-01-01", "dans le futur"),
    ("078984705,X,bijouterie,a,,marigot,+33639980015,c", "date d'inscription manquante"),
    ("855374658,X,bijouterie,a,,marigot,+33639980015,c,2025-01-01,extra", "une cellule déborde"),
    ("246341275,Y,bijouterie,a,,marigot,+33639980016,c,2025-01-01", "en double dans le fichier (déjà ligne 2)"),
    ("696090042,X,bijouterie,a,,marigot,,c,2025-01-01", "aucun numéro"),
]


def test_any_bad_row_rejects_the_file_and_lists_every_bad_row(session: Session, tmp_path: Path) -> None:
    lines = [HEADER, GOOD] + [row for row, _ in BAD_ROWS] + [GOOD2]
    report = run(session, write(tmp_path, *lines))
    assert not report.ok and not report.committed
    assert [e.line for e in report.errors] == list(range(3, 3 + len(BAD_ROWS)))
    for error, (row, fragment) in zip(report.errors, BAD_ROWS, strict=True):
        assert fragment in error.reason, (error, row)
        assert error.siren == row.split(",")[0]
        assert str(error).startswith(f"ligne {error.line} : ")
    assert member_count(session) == 0
    assert entries(session) == []


def test_partial_imports_the_good_rows_and_reports_the_rest(session: Session, tmp_path: Path) -> None:
    lines = [HEADER, GOOD] + [row for row, _ in BAD_ROWS] + [GOOD2]
    report = run(session, write(tmp_path, *lines), partial=True)
    assert report.committed and len(report.errors) == len(BAD_ROWS)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert sorted(s for (s,) in session.execute(select(Member.siren))) == ["078984705", "246341275"]
    (row,) = entries(session, action="registry.import")
    assert row.details["rejected"] == len(BAD_ROWS)


def test_line_numbers_count_quoted_newlines_and_blank_lines(session: Session, tmp_path: Path) -> None:
    multi = '"246341275","Bijouterie\nsur deux lignes",bijouterie,a,,marigot,+33639980001,c,2025-01-01'
    bad = "123456789,X,bijouterie,a,,marigot,+33639980002,c,2025-01-01"
    report = run(session, write(tmp_path, HEADER, multi, "", bad))
    assert [e.line for e in report.errors] == [5]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("siren,name,category,address,street,zone,contact,registered_on", "colonnes manquantes : phones"),
        (HEADER + ",email", "colonnes inconnues : email"),
        ("Nom,category,address,street,zone,phones,contact,registered_on", "colonnes manquantes : siren ou siret"),
        (HEADER + ",SIREN", "colonnes en double : siren"),
    ],
)
def test_wrong_header_rejects_the_file(session: Session, tmp_path: Path, header: str, fragment: str) -> None:
    report = run(session, write(tmp_path, header, GOOD), partial=True)
    (error,) = report.errors
    assert error.line == 1
    assert fragment in error.reason
    assert "colonnes possibles : SIREN, SIRET, Nom (ou Raison sociale)" in error.reason
    assert member_count(session) == 0


def test_empty_file(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    (error,) = run(session, path).errors
    assert "fichier vide" in error.reason


def test_windows_1252_file_is_read_and_anything_else_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes(
        (HEADER + "\r\n" + GOOD + "\r\n" + GOOD2.replace("Pharmacie", "Pharmacie Hélène") + "\r\n").encode("cp1252")
    )
    report = run(session, path)
    assert report.ok and report.format == "csv windows-1252 ,"
    assert m.get_member(session, "078984705").name == "Pharmacie Hélène Test"
    path.write_bytes(path.read_bytes().replace("é".encode("cp1252"), b"\x81"))
    (error,) = run(session, path).errors
    assert error.line == 3 and "ni en UTF-8 ni en Windows-1252" in error.reason


def test_utf8_bom_from_spreadsheets_is_accepted(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + GOOD + "\r\n").encode("utf-8"))
    assert run(session, path).created == 1


CHILD = """
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from gateway.registry.csv_io import import_members
from gateway.registry.models import Member
from gateway.storage.db import make_engine

url, source, stop_at = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
session = Session(make_engine(url))

def on_progress(done, total):
    # Past the validation half: rows are being written inside the open transaction.
    if stop_at == "mid" and done > total * 3 // 4:
        written = session.scalar(select(func.count(Member.id)))
        print(f"MID {written}", flush=True)
        sys.stdin.read()  # wait here until the parent kills us

report = import_members(session, source.read_bytes(), source=source.name, today=date(2026, 11, 27),
                        now=datetime.now(UTC), actor="child", on_progress=on_progress)
print(f"DONE {report.created}", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("stop_at", ["mid", "done"])
def test_sigkill_leaves_nothing_or_everything(tmp_path: Path, stop_at: str) -> None:
    url = make_db(tmp_path / "kill.db")
    source = tmp_path / "many.csv"
    write_members_csv(
        source, 3000, zones=["marigot", "grand-case"], categories=["commerce", "hotel"], today=TODAY, seed=7
    )
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, str(script), url, str(source), stop_at],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        line = child.stdout.readline().split()  # blocks until the child reached the chosen point
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    engine = make_engine(url)
    with Session(engine) as s:
        members = member_count(s)
        phones = s.scalar(select(func.count(MemberPhone.id)))
        audits = len(entries(s, action="registry.import"))
    engine.dispose()
    if stop_at == "mid":
        assert line[0] == "MID" and int(line[1]) > 0  # the child had rows written, uncommitted
        assert (members, phones, audits) == (0, 0, 0)
    else:
        assert line == ["DONE", "3000"]
        assert (members, phones, audits) == (3000, 3000, 1)
