"""The CCISM's spreadsheets: CSV as Excel writes it (separator, encoding, dates, French headers, display names,
local numbers) and .xlsx, imported whole; exports that carry status, expiry and number states, neutralise
formulas, and read back unchanged. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.audit.models  # noqa: F401 - registers the audit table
from gateway.registry import members as m
from gateway.registry.csv_io import ImportReport, import_members
from gateway.registry.exporting import export_members
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.reference import load_reference
from gateway.registry.sheets import SheetError, decode, neutralise, read_table, unneutralise
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
CCISM = DATA / "ccism-export.csv"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        load_reference(s, DATA)
        s.commit()
        yield s
    engine.dispose()


def run(session: Session, data: bytes, **kw: object) -> ImportReport:
    return import_members(session, data, source="test", today=TODAY, now=NOW, actor="ccism", **kw)  # type: ignore[arg-type]


def ccism_rows() -> list[dict[str, str]]:
    with CCISM.open(encoding="cp1252", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def ccism_xlsx() -> bytes:
    """The CCISM file as Excel saves it once opened: SIRENs turned into numbers (leading zeros lost), dates
    into date cells, the rest as typed."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    rows = ccism_rows()
    sheet.append(list(rows[0].keys()))
    for row in rows:
        day, month, year = (int(p) for p in row["Date d'inscription"].split("/"))
        values: list[object] = list(row.values())
        values[0] = int(row["SIREN"])
        values[-1] = date(year, month, day)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def numbers(session: Session) -> int:
    return int(session.scalar(select(func.count(MemberPhone.id))) or 0)


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_the_ccism_export_imports_whole_as_it_is(session: Session, form: str) -> None:
    rows = ccism_rows()
    data = CCISM.read_bytes() if form == "csv" else ccism_xlsx()
    report = run(session, data)
    assert report.errors == [] and report.committed, report.errors
    assert report.created == len(rows) == 40
    expected_numbers = sum(len(r["Portables"].split("/")) for r in rows)
    assert numbers(session) == expected_numbers
    hotel = m.get_member(session, "682734884")
    assert (hotel.name, hotel.category_id, hotel.zone_id) == ("Hôtel Corail Lin", "hotel", "grand-case")
    assert hotel.street is not None and hotel.street.name == "Rue de Petite Plage"
    assert [p.e164 for p in hotel.phones] == ["+33639982536", "+33639984506"]
    assert hotel.registered_on == date(2026, 4, 23)
    zero_led = m.get_member(session, "020070645")  # its leading zero is gone in the .xlsx
    assert zero_led.zone_id == "hope-estate"
    again = run(session, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 40)


@pytest.mark.parametrize(
    ("encoding", "separator", "bom"),
    [("utf-8", ";", True), ("utf-8", ",", False), ("cp1252", "\t", False), ("utf-8", "\t", True)],
)
def test_separators_and_encodings_excel_writes(session: Session, encoding: str, separator: str, bom: bool) -> None:
    text = CCISM.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=separator).writerows(rows)
    data = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)
    report = run(session, data)
    assert report.errors == [] and report.created == 40


def test_headers_in_any_case_accents_order_and_language(session: Session) -> None:
    data = (
        "date D'INSCRIPTION;téléphones;QUARTIER;raison sociale;Categorie;Siret;contact\n"
        "2025-01-10;0639980001, 06 39 98 00 02;grand case;Hôtel Test;HOTEL;68273488400013;Léa\n"
        "10/01/2025;+33 6 39 98 00 03;Quartier d’Orléans;Boulangerie Test;boulangerie;;\n"
    ).encode()
    report = run(session, data, partial=True)
    # The second row has neither SIRET nor SIREN: said so, and what to write.
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert error.line == 3 and "SIRET (ou SIREN) manquant" in error.reason
    hotel = m.get_member(session, "68273488400013")
    assert (hotel.zone_id, hotel.category_id, hotel.contact) == ("grand-case", "hotel", "Léa")
    assert [p.e164 for p in hotel.phones] == ["+33639980001", "+33639980002"]
    assert hotel.registered_on == date(2025, 1, 10)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("31/02/2025", "date d'inscription invalide « 31/02/2025 »"),
        ("10/01/25", "écrivez-la JJ/MM/AAAA"),
        ("2030-01-01", "dans le futur"),
    ],
)
def test_bad_dates_say_what_to_write(session: Session, cell: str, fragment: str) -> None:
    data = f"SIREN;Nom;Catégorie;Quartier;Portables;Date d'inscription\n682734884;X;Hôtel;Marigot;0639980001;{cell}\n"
    (error,) = run(session, data.encode()).errors
    assert fragment in error.reason


def test_a_near_miss_in_a_row_is_named_with_the_likely_value(session: Session) -> None:
    data = (
        "SIREN;Nom;Catégorie;Quartier;Portables;Date d'inscription\n682734884;X;Hotle;Marigot;0639980001;01/01/2025\n"
    )
    (error,) = run(session, data.encode()).errors
    assert "vouliez-vous dire « Hôtel » ?" in error.reason


def test_header_problems_are_named_with_the_possible_columns(session: Session) -> None:
    data = "SIREN;Nom;Catégorie;Quartier;Couleur;Date d'inscription\n682734884;X;Hôtel;Marigot;bleu;01/01/2025\n"
    (error,) = run(session, data.encode()).errors
    assert error.line == 1
    assert "colonnes manquantes : phones" in error.reason and "colonnes inconnues : Couleur" in error.reason
    assert "Portables (ou Téléphones)" in error.reason


def test_an_encoding_that_is_neither_is_refused_with_what_to_do() -> None:
    with pytest.raises(SheetError, match="ni en UTF-8 ni en Windows-1252"):
        decode("SIREN;Nom\n1;Caf\u00e9\n".encode("utf-8").replace(b"\xc3\xa9", b"\x81\x8d"))
    with pytest.raises(SheetError, match="fichier binaire"):
        read_table(b"\xd0\xcf\x11\xe0\x00\x00binary xls")


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+33639980001", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_and_back(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert unneutralise(neutralise(value)) == value
    assert neutralise("Hôtel") == unneutralise("Hôtel") == "Hôtel"
    assert unneutralise("'quoted") == "'quoted"


def _register_with_a_formula_name(session: Session) -> None:
    run(session, CCISM.read_bytes())
    m.update_member(session, "246341275", name='=HYPERLINK("http://evil","Clic")', now=NOW, actor="op")
    m.withdraw_number(session, "+33639982536", now=NOW, actor="sms")
    m.suspend(session, "110904349", now=NOW, actor="op")
    session.commit()


def test_csv_export_carries_status_expiry_and_number_states_without_formulas(session: Session) -> None:
    _register_with_a_formula_name(session)
    out = io.BytesIO()
    assert export_members(session, out, fmt="csv") == 40
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    by_siren = {r["siren"]: r for r in rows}
    assert by_siren["246341275"]["name"] == '\'=HYPERLINK("http://evil","Clic")'
    assert by_siren["110904349"]["status"] == "suspendu"
    hotel = by_siren["682734884"]
    assert hotel["phones"] == "'+33639982536;+33639984506"
    assert hotel["phone_states"] == "retiré le 27/11/2026;reçoit les alertes"
    assert hotel["expires_on"] == "2029-04-23"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    report = run(session, out.getvalue())
    assert (report.errors, report.created, report.updated, report.unchanged) == ([], 0, 0, 40)


def test_xlsx_export_is_text_only_and_reads_back_unchanged(session: Session) -> None:
    _register_with_a_formula_name(session)
    out = io.BytesIO()
    assert export_members(session, out, fmt="xlsx") == 40
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type == "s" for c in cells if c.value is not None)  # never a formula
    names = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert '\'=HYPERLINK("http://evil","Clic")' in names
    before = {(mm.key, mm.name, mm.status, mm.expires_on) for mm in session.scalars(select(Member))}
    report = run(session, out.getvalue())
    assert (report.errors, report.created, report.updated, report.unchanged) == ([], 0, 0, 40)
    assert {(mm.key, mm.name, mm.status, mm.expires_on) for mm in session.scalars(select(Member))} == before
    assert m.get_member(session, "110904349").status is MemberStatus.SUSPENDED
    withdrawn = session.scalar(select(MemberPhone.withdrawn_at).where(MemberPhone.e164 == "+33639982536"))
    assert withdrawn is not None  # an import never brings back a number that said STOP
