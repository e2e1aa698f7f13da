"""Import and export of the register as spreadsheets (CSV as Excel writes it, or .xlsx: :mod:`.sheets` reads
and writes the files; this module turns rows into establishments and back).

Import rules:

* the file is validated completely before anything is written; a file with any bad row imports nothing
  and the report lists every bad row (line number, reason), unless ``partial=True``;
* the whole import is one transaction, committed at the end: a process killed half-way leaves the
  database as it was (SQLite rolls the journal back at the next open);
* upsert by establishment: a row with a SIRET is that establishment; a SIRET new to the register is the
  business's establishment known without SIRET when they share a mobile number (the same shop, whose SIRET
  the register learns), else a new establishment. A row with a SIREN only is the business's establishment
  without SIRET if any, else its only establishment, else a new one (without SIRET); a SIREN with several
  establishments that all have a SIRET is a row error asking for the SIRET. Two rows naming one
  establishment are an error.
  Re-importing the same file reports 0 created, 0 updated, N unchanged;
* members registered more than ``registration_years`` ago come in as expired; for an existing member the
  expiry is kept unless ``registered_on`` changed (so a renewal survives a re-import), and a suspended or
  withdrawn status is never changed by an import; numbers withdrawn by STOP stay withdrawn;
* rows are written in bulk (one statement per chunk of rows, not per row).
"""

from __future__ import annotations

import contextlib
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.registry.errors import RegistryError
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.phones import ParsedPhone
from gateway.registry.records import MemberInput, ValidMember, expiry_for, status_for_dates, validate_member
from gateway.registry.reference import reference_index
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings
from gateway.registry.sheets import SheetError, Table, read_table

COLUMNS = ("siren", "siret", "name", "category", "address", "street", "zone", "phones", "contact", "registered_on")
DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
PHONE_SEPARATORS = re.compile(r"[/;,]")
CHUNK = 500
ProgressCallback = Callable[[int, int], None]
_FIELDS = ("siret", "name", "category_id", "zone_id", "street_id", "address", "contact", "registered_on")


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: its line in the file (1 = header), its SIREN as written, and why."""

    line: int
    siren: str  # the row's SIRET, or its SIREN, as written
    reason: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.reason}"


@dataclass(slots=True)
class ImportReport:
    """Outcome of an import. ``committed`` is False for a dry run and for a rejected file."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    partial: bool = False
    committed: bool = False
    format: str = ""  # what was read: "xlsx", or "csv <encoding> <separator>"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    member: ValidMember


class _Progress:
    """Counts row-steps: each row is validated once and written once, so ``total`` is twice the rows."""

    def __init__(self, rows: int, callback: ProgressCallback | None) -> None:
        self.total, self.done, self.callback = 2 * rows, 0, callback

    def advance(self, steps: int) -> None:
        self.done += steps
        if self.callback is not None:
            self.callback(min(self.done, self.total), self.total)


def parse_day(text: str, today: date) -> date:
    """A registration date as spreadsheets write it: ``JJ/MM/AAAA`` (also ``-`` or ``.``) or ISO ``AAAA-MM-JJ``."""
    value = text.strip()
    if not value:
        raise RegistryError("date d'inscription manquante ; écrivez-la JJ/MM/AAAA")
    day: date | None = None
    if len(value) == 10 and value[4] == "-":
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    for pattern in DATE_PATTERNS:
        if day is None:
            with contextlib.suppress(ValueError):
                day = datetime.strptime(value, pattern).date()
    if day is None:
        raise RegistryError(f"date d'inscription invalide « {text} » ; écrivez-la JJ/MM/AAAA (ou AAAA-MM-JJ)")
    if day > today:
        raise RegistryError(f"date d'inscription « {text} » dans le futur ; écrivez la date de l'inscription")
    return day


def split_phones(text: str) -> list[str]:
    """The numbers of a cell: separated by ``/``, ``;`` or ``,`` (``06 39 98 24 10 / 06 39 98 45 06``)."""
    return [part for part in PHONE_SEPARATORS.split(text) if part.strip()]


def _validate(
    table: Table,
    *,
    today: date,
    session: Session,
    settings: RegistrySettings,
    progress: _Progress,
) -> tuple[list[_Row], list[RowError]]:
    index = reference_index(session)
    good: list[_Row] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    rows = table.rows
    width = len(table.columns)
    # Each row is padded to the header's width plus one empty cell, where absent columns point.
    at = {column: i for i, column in enumerate(table.columns) if column is not None}
    siren_at, siret_at, name_at, category_at, address_at, street_at, zone_at, phones_at, contact_at, day_at = (
        at.get(column, width) for column in COLUMNS
    )
    for count, (line, row) in enumerate(rows, start=1):
        cells = row[:width]
        cells.extend([""] * (width + 1 - len(cells)))
        key_raw = cells[siret_at].strip() or cells[siren_at].strip()
        try:
            if len(row) > width and "".join(row[width:]).strip():
                raise RegistryError(
                    f"{len(cells)} cellules remplies pour {width} colonnes ; une cellule déborde (séparateur "
                    "dans un nom ?) : mettez ce texte entre guillemets ou retirez la cellule en trop"
                )
            member = validate_member(
                MemberInput(
                    siren=cells[siren_at],
                    siret=cells[siret_at],
                    name=cells[name_at],
                    category=cells[category_at],
                    zone=cells[zone_at],
                    street=cells[street_at],
                    address=cells[address_at],
                    contact=cells[contact_at],
                    phones=split_phones(cells[phones_at]),
                    registered_on=parse_day(cells[day_at], today),
                ),
                index,
                settings,
            )
            key = member.siret or member.siren
            if key in first_line:
                kind = "SIRET" if member.siret else "SIREN (sans SIRET)"
                raise RegistryError(f"{kind} {key} en double dans le fichier (déjà ligne {first_line[key]})")
            first_line[key] = line
            good.append(_Row(line, member))
        except RegistryError as exc:
            errors.append(RowError(line, key_raw, str(exc)))
        if count % CHUNK == 0:
            progress.advance(CHUNK)
    progress.advance(len(rows) % CHUNK)
    return good, errors


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_existing(session: Session, sirens: list[str]) -> tuple[dict[str, list[Any]], dict[int, list[Any]]]:
    """The establishments of these businesses (by SIREN, in id order) and their numbers (by establishment)."""
    members: dict[str, list[Any]] = {}
    for chunk in _chunks(sorted(set(sirens))):
        for row in session.execute(
            select(Member.id, Member.siren, Member.status, *[getattr(Member, f) for f in _FIELDS])
            .where(Member.siren.in_(chunk))
            .order_by(Member.id)
        ):
            members.setdefault(row.siren, []).append(row)
    phones: dict[int, list[Any]] = {}
    ids = [row.id for rows in members.values() for row in rows]
    for chunk in _chunks(ids):
        query = (
            select(MemberPhone.id, MemberPhone.member_id, MemberPhone.e164, MemberPhone.position)
            .where(MemberPhone.member_id.in_(chunk))
            .order_by(MemberPhone.member_id, MemberPhone.position)
        )
        for row in session.execute(query):
            phones.setdefault(row.member_id, []).append(row)
    return members, phones


def _phone_dicts(member_id: int, phones: Sequence[ParsedPhone]) -> list[dict[str, Any]]:
    return [{"member_id": member_id, "e164": p.e164, "is_test": p.is_test, "position": i} for i, p in enumerate(phones)]


def import_members(
    session: Session,
    data: bytes,
    *,
    source: str,
    today: date,
    now: datetime,
    actor: str,
    dry_run: bool = False,
    partial: bool = False,
    on_progress: ProgressCallback | None = None,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> ImportReport:
    """Import ``data`` (a CSV or .xlsx file's bytes; ``source`` names it in the audit log) and commit, all or
    nothing; see the module docstring.

    Returns an :class:`ImportReport`; bad rows are reported there, not raised. With ``dry_run`` the
    counts are computed and nothing is written. The session must have no pending work of its own: it is
    committed (or rolled back) here.
    """
    report = ImportReport(dry_run=dry_run, partial=partial)
    try:
        table = read_table(data)
    except SheetError as exc:
        report.errors.append(RowError(exc.line, "", exc.reason))
        return report
    report.format = table.format
    report.total = len(table.rows)
    progress = _Progress(len(table.rows), on_progress)
    good, report.errors = _validate(table, today=today, session=session, settings=settings, progress=progress)
    existing, existing_phones = _load_existing(session, [r.member.siren for r in good])
    plan = _match(good, existing, existing_phones, report.errors)
    report.errors.sort(key=lambda e: e.line)
    if report.errors and not partial:
        session.rollback()
        return report
    try:
        _write(
            session,
            plan,
            existing_phones,
            report,
            today=today,
            now=now,
            progress=progress,
            settings=settings,
            dry_run=dry_run,
        )
        if dry_run:
            session.rollback()
            return report
        audit.record(
            session,
            actor,
            "registry.import",
            f"file:{source}",
            report.created + report.updated,
            {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len(report.errors),
                "partial": partial,
                "rows": report.total,
                "format": report.format,
            },
            now=now,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    report.committed = True
    return report


def _match(
    good: list[_Row], existing: dict[str, list[Any]], phones: dict[int, list[Any]], errors: list[RowError]
) -> list[tuple[Any, ValidMember]]:
    """Pair each valid row with the establishment it names (None: a new one); see the module docstring.

    Rows that name no single establishment, or the same one as an earlier row, become errors.
    """
    by_siret = {e.siret: e for rows in existing.values() for e in rows if e.siret is not None}
    # The business's establishment known without SIRET (at most one, by the database's own constraint).
    bare = {e.siren: e for rows in existing.values() for e in rows if e.siret is None}
    taken: dict[int, int] = {}  # establishment id -> line that named it
    plan: list[tuple[Any, ValidMember]] = []
    for row in good:
        member = row.member
        without_siret = bare.get(member.siren)
        target: Any = None
        if member.siret is not None:
            target = by_siret.get(member.siret)
            if target is None and without_siret is not None and without_siret.id not in taken:
                numbers = {p.e164 for p in phones.get(without_siret.id, [])}
                if numbers & {p.e164 for p in member.phones}:
                    target = without_siret  # the same shop: the register learns its SIRET
        elif without_siret is not None:
            target = without_siret
        elif len(known := existing.get(member.siren, [])) == 1:
            target = known[0]
        elif known:
            listed = ", ".join(e.siret for e in known)
            errors.append(
                RowError(
                    row.line,
                    member.siren,
                    f"le SIREN {member.siren} a {len(known)} établissements inscrits ({listed}) ; "
                    "indiquez le SIRET de cet établissement dans la colonne siret",
                )
            )
            continue
        if target is not None:
            if target.id in taken:
                errors.append(
                    RowError(
                        row.line,
                        member.siret or member.siren,
                        f"même établissement que la ligne {taken[target.id]} ; "
                        "gardez une seule ligne par établissement",
                    )
                )
                continue
            taken[target.id] = row.line
            if member.siret is None and target.siret is not None:
                member = replace(member, siret=target.siret)  # a SIREN-only row keeps the SIRET on record
        plan.append((target, member))
    return plan


def _write(
    session: Session,
    plan: list[tuple[Any, ValidMember]],
    existing_phones: dict[int, list[Any]],
    report: ImportReport,
    *,
    today: date,
    now: datetime,
    progress: _Progress,
    settings: RegistrySettings,
    dry_run: bool,
) -> None:
    creates: list[ValidMember] = []
    updates: list[tuple[Any, ValidMember]] = []
    for old, member in plan:
        if old is None:
            creates.append(member)
        elif _same(old, existing_phones.get(old.id, []), member):
            report.unchanged += 1
        else:
            updates.append((old, member))
    report.created, report.updated = len(creates), len(updates)
    if dry_run:
        progress.advance(len(plan))
        return
    for chunk in _chunks(creates):
        _insert(session, chunk, today=today, now=now, settings=settings)
        progress.advance(len(chunk))
    for chunk in _chunks(updates):
        _update(session, chunk, existing_phones, today=today, now=now, settings=settings)
        progress.advance(len(chunk))
    progress.advance(report.unchanged)


_VALUES = operator.attrgetter(*_FIELDS)


def _same(old: Any, old_phones: list[Any], new: ValidMember) -> bool:
    # ``old`` is a row of (id, siren, status, *_FIELDS): its tail compares with the new values in one go.
    return tuple(old[3:]) == _VALUES(new) and [p.e164 for p in old_phones] == [p.e164 for p in new.phones]


def _insert(
    session: Session, chunk: Sequence[ValidMember], *, today: date, now: datetime, settings: RegistrySettings
) -> None:
    values = []
    for m in chunk:
        expires_on = expiry_for(m.registered_on, settings)
        values.append(
            {
                "siren": m.siren,
                "siret": m.siret,
                "name": m.name,
                "category_id": m.category_id,
                "zone_id": m.zone_id,
                "street_id": m.street_id,
                "address": m.address,
                "contact": m.contact,
                "registered_on": m.registered_on,
                "expires_on": expires_on,
                "status": status_for_dates(expires_on, today),
                # Being in the CCISM's register means the business signed the registration form that day.
                "consent_at": datetime.combine(m.registered_on, time(), UTC),
                "created_at": now,
                "updated_at": now,
                "withdrawn_at": None,
            }
        )
    # (SIREN, SIRET) is unique: a SIRET is, and a business has one establishment without SIRET.
    ids = {
        (siren, siret): member_id
        for member_id, siren, siret in session.execute(
            insert(Member).returning(Member.id, Member.siren, Member.siret), values
        )
    }
    phones = [d for m in chunk for d in _phone_dicts(ids[m.siren, m.siret], m.phones)]
    session.execute(insert(MemberPhone), phones)


def _update(
    session: Session,
    chunk: Sequence[tuple[Any, ValidMember]],
    existing_phones: dict[int, list[Any]],
    *,
    today: date,
    now: datetime,
    settings: RegistrySettings,
) -> None:
    member_rows = []
    drop: list[int] = []
    add: list[dict[str, Any]] = []
    move: list[dict[str, Any]] = []
    for old, new in chunk:
        values: dict[str, Any] = {"id": old.id, "updated_at": now, **{f: getattr(new, f) for f in _FIELDS}}
        if new.registered_on != old.registered_on:
            values["expires_on"] = expiry_for(new.registered_on, settings)
            if old.status in (MemberStatus.ACTIVE, MemberStatus.EXPIRED):
                values["status"] = status_for_dates(values["expires_on"], today)
        member_rows.append(values)
        have = {p.e164: p for p in existing_phones.get(old.id, [])}
        wanted = {p.e164 for p in new.phones}
        drop.extend(p.id for e164, p in have.items() if e164 not in wanted)
        for position, phone in enumerate(new.phones):
            if phone.e164 in have:
                move.append({"id": have[phone.e164].id, "position": position, "is_test": phone.is_test})
            else:
                add.append({"member_id": old.id, "e164": phone.e164, "is_test": phone.is_test, "position": position})
    session.execute(update(Member), member_rows)
    if drop:
        session.execute(delete(MemberPhone).where(MemberPhone.id.in_(drop)))
    if move:
        session.execute(update(MemberPhone), move)
    if add:
        session.execute(insert(MemberPhone), add)
