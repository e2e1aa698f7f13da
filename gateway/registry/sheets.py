"""Reading and writing the register as the CCISM's spreadsheets hold it: CSV as Excel writes it, and .xlsx.

Reading (:func:`read_table`) turns bytes into a header and rows of text, whatever wrote them:

* ``.xlsx`` (recognised by its content, a zip), first sheet, read with openpyxl: dates become ISO dates,
  numbers lose the ``.0`` Excel gives them;
* CSV in UTF-8 (with or without BOM) or Windows-1252 (what Excel's French "CSV (séparateur : point-virgule)"
  writes); anything else is refused with what to do;
* the separator is ``;``, ``,`` or tab: the one that splits the header into the most columns;
* headers in French or English, any case, accents and order (:data:`HEADERS`); columns the register does
  not read (the export's status, expiry and number states) are accepted and ignored.

Writing (:func:`write_csv`, :func:`write_xlsx`) neutralises every cell a spreadsheet would run as a formula
(leading ``=``, ``+``, ``-``, ``@``, tab or CR) with a leading apostrophe, which reading takes off again, so
that an export read back changes nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from gateway.registry.errors import RegistryError
from gateway.registry.names import fold

# Canonical column → the folded headers that name it (French and English, as the CCISM's files write them).
HEADERS: dict[str, tuple[str, ...]] = {
    "siren": ("siren", "n siren", "no siren", "numero siren"),
    "siret": ("siret", "n siret", "no siret", "numero siret"),
    "name": ("name", "nom", "raison sociale", "enseigne", "nom commercial", "etablissement", "denomination"),
    "category": ("category", "categorie", "activite", "category id", "type"),
    "address": ("address", "adresse"),
    "street": ("street", "rue", "voie"),
    "zone": ("zone", "quartier", "secteur"),
    "phones": (
        "phones",
        "phone",
        "portables",
        "portable",
        "telephones",
        "telephone",
        "mobiles",
        "mobile",
        "numeros",
        "tel",
    ),
    "contact": ("contact", "responsable", "personne a contacter"),
    "registered_on": (
        "registered on",
        "date d inscription",
        "date inscription",
        "inscription",
        "inscrit le",
        "registration date",
    ),
}
# Columns the export writes for people to read, which an import ignores (the register owns them).
IGNORED: dict[str, tuple[str, ...]] = {
    "status": ("status", "statut"),
    "expires_on": ("expires on", "expire le", "expiration", "date d expiration"),
    "phone_states": ("phone states", "etat des numeros", "etats des numeros"),
}
_BY_FOLD = {alias: column for column, aliases in HEADERS.items() for alias in aliases} | {
    alias: f"({column})" for column, aliases in IGNORED.items() for alias in aliases
}
SEPARATORS = (";", ",", "\t")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"


class SheetError(RegistryError):
    """A file that cannot be read as a table at all; ``line`` is where (1 = header)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"ligne {line} : {reason}")


@dataclass(frozen=True, slots=True)
class Table:
    """A file read: canonical column names (None for an ignored column), and rows as (line, cells); a row may
    have fewer cells than columns (a spreadsheet drops trailing empty ones)."""

    columns: tuple[str | None, ...]
    rows: list[tuple[int, list[str]]]
    format: str  # "xlsx", or the CSV's encoding and separator, e.g. "csv windows-1252 ;"


def neutralise(value: str) -> str:
    """``value`` as a cell no spreadsheet runs: a leading apostrophe before a formula trigger."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def unneutralise(value: str) -> str:
    """Take off the apostrophe that :func:`neutralise` put (and Excel shows as part of the text)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS) else value


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding's name; UTF-8 (BOM or not) first, then Windows-1252."""
    if b"\x00" in data[:4096]:
        raise SheetError(
            1, "fichier binaire illisible (.xls ? .ods ?) ; enregistrez-le au format .xlsx ou CSV et recommencez"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_error.start) + 1
            raise SheetError(
                line,
                "le fichier n'est ni en UTF-8 ni en Windows-1252 ; dans le tableur, enregistrez-le en "
                "« CSV UTF-8 » et recommencez",
            ) from utf8_error


def _separator(first_line: str) -> str:
    counts = {sep: len(next(csv.reader([first_line], delimiter=sep), [])) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: (counts[sep], -SEPARATORS.index(sep)))


def _columns(header: Sequence[str]) -> tuple[str | None, ...]:
    found: list[str | None] = []
    unknown: list[str] = []
    for cell in header:
        column = _BY_FOLD.get(fold(cell.replace("°", " ")))
        if column is None and cell.strip():
            unknown.append(cell.strip())
        found.append(None if column is None or column.startswith("(") else column)
    named = [c for c in found if c is not None]
    duplicated = sorted({c for c in named if named.count(c) > 1})
    missing = [c for c in ("name", "category", "zone", "phones", "registered_on") if c not in named]
    if "siren" not in named and "siret" not in named:
        missing.insert(0, "siren ou siret")
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            parts.append("colonnes inconnues : " + ", ".join(unknown))
        if duplicated:
            parts.append("colonnes en double : " + ", ".join(duplicated))
        raise SheetError(
            1,
            "en-tête incorrect (" + " ; ".join(parts) + ") ; colonnes possibles : SIREN, SIRET, Nom (ou Raison "
            "sociale), Catégorie, Adresse, Rue, Quartier (ou Zone), Portables (ou Téléphones), Contact, "
            "Date d'inscription",
        )
    return tuple(found)


def read_table(data: bytes) -> Table:
    """The header and rows of a CSV or .xlsx file (see the module docstring); raises :class:`SheetError`."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    text, encoding = decode(data)
    if not text.strip():
        raise SheetError(1, "fichier vide ; la première ligne doit être l'en-tête (SIREN, Nom, Catégorie, …)")
    end = text.find("\n")
    separator = _separator(text if end < 0 else text[:end])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader)
    columns = _columns(header)
    rows: list[tuple[int, list[str]]] = []
    line = reader.line_num + 1
    for cells in reader:
        joined = "".join(cells)
        if joined.strip():
            rows.append((line, [unneutralise(cell) for cell in cells] if "'" in joined else cells))
        line = reader.line_num + 1
    name = {";": ";", ",": ",", "\t": "tabulation"}[separator]
    return Table(columns, rows, f"csv {encoding} {name}")


# A spreadsheet that turned these columns into numbers dropped their leading zeros: the width brings them back.
_NUMBER_WIDTHS = {"siren": 9, "siret": 14, "phones": 10}


def _cell_text(value: Any, column: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        width = _NUMBER_WIDTHS.get(column or "")
        text = str(value)
        # Only a number one or two digits short: a SIREN or a national mobile number whose zeros were eaten.
        return text.zfill(width) if width and width - 2 <= len(text) < width else text
    return unneutralise(str(value))


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # noqa: PLC0415 - only for .xlsx files

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SheetError(1, "classeur .xlsx illisible ; ouvrez-le dans le tableur et enregistrez-le à nouveau") from exc
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header_cells = next(lines, None)
        if header_cells is None:
            raise SheetError(1, "feuille vide ; la première ligne doit être l'en-tête (SIREN, Nom, Catégorie, …)")
        header = [_cell_text(v) for v in header_cells]
        while header and not header[-1]:
            header.pop()
        columns = _columns(header)
        rows: list[tuple[int, list[str]]] = []
        for line, values in enumerate(lines, start=2):
            cells = [_cell_text(v, column) for v, column in zip(values[: len(header)], columns, strict=False)]
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
    finally:
        workbook.close()
    return Table(columns, rows, "xlsx")


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a CSV (comma, UTF-8 as given by ``out``) with formula triggers neutralised; returns the rows."""
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def write_xlsx(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write an .xlsx workbook of one sheet; every cell is text (never a formula), triggers neutralised."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Adhérents")

    def text_row(values: Sequence[str]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.data_type = "s"  # a string even when it looks like a formula or a number
            cells.append(cell)
        return cells

    sheet.append(text_row(header))
    count = 0
    for row in rows:
        sheet.append(text_row(row))
        count += 1
    workbook.save(out)
    return count
