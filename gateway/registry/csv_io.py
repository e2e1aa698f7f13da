"""CSV import and export of members, in the format of ``data/members-sample.csv``.

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

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.registry.errors import RegistryError
from gateway.registry.models import Member, MemberPhone, MemberStatus, Street
from gateway.registry.phones import ParsedPhone
from gateway.registry.records import MemberInput, ValidMember, expiry_for, status_for_dates, validate_member
from gateway.registry.reference import reference_index
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings

COLUMNS = ("siren", "siret", "name", "category", "address", "street", "zone", "phones", "contact", "registered_on")
# Older files (and data/members-sample.csv) have no SIRET column; a file with SIRETs needs no SIREN column.
OPTIONAL = frozenset({"siren", "siret", "address", "street", "contact"})
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


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _FileRejectedError(
            RowError(line, "", "le fichier n'est pas en UTF-8 ; enregistrez-le en « CSV UTF-8 » et recommencez")
        ) from exc


class _FileRejectedError(RegistryError):
    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(str(error))


def _read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise _FileRejectedError(RowError(1, "", "fichier vide ; l'en-tête attendu est " + ",".join(COLUMNS))) from None
    missing = [
        c for c in COLUMNS if c not in header and (c not in OPTIONAL or (c == "siren" and "siret" not in header))
    ]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            parts.append("colonnes inconnues : " + ", ".join(unknown))
        if not parts:
            parts.append("colonne en double")
        raise _FileRejectedError(
            RowError(1, "", "en-tête incorrect (" + " ; ".join(parts) + ") ; attendu : " + ",".join(COLUMNS))
        )
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((line, cells))
        line = reader.line_num + 1
    return header, rows


def _parse_date(text: str, today: date) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise RegistryError(f"date d'inscription invalide « {text} » ; écrivez-la AAAA-MM-JJ") from None
    if day > today:
        raise RegistryError(f"date d'inscription « {text} » dans le futur")
    return day


def _validate(
    header: list[str],
    rows: list[tuple[int, list[str]]],
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
    for count, (line, cells) in enumerate(rows, start=1):
        value = dict(zip(header, cells, strict=False))
        key_raw = value.get("siret", "").strip() or value.get("siren", "").strip()
        try:
            if len(cells) != len(header):
                raise RegistryError(f"{len(cells)} champs au lieu de {len(header)} (colonne manquante ou en trop)")
            member = validate_member(
                MemberInput(
                    siren=value.get("siren", ""),
                    siret=value.get("siret", ""),
                    name=value["name"],
                    category=value["category"],
                    zone=value["zone"],
                    street=value.get("street", ""),
                    address=value.get("address", ""),
                    contact=value.get("contact", ""),
                    phones=value["phones"].split(";"),
                    registered_on=_parse_date(value["registered_on"], today),
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
    source: Path,
    *,
    today: date,
    now: datetime,
    actor: str,
    dry_run: bool = False,
    partial: bool = False,
    on_progress: ProgressCallback | None = None,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> ImportReport:
    """Import ``source`` (a members CSV file) and commit, all or nothing; see the module docstring.

    Returns an :class:`ImportReport`; bad rows are reported there, not raised. With ``dry_run`` the
    counts are computed and nothing is written. The session must have no pending work of its own: it is
    committed (or rolled back) here.
    """
    report = ImportReport(dry_run=dry_run, partial=partial)
    try:
        header, rows = _read_rows(_decode(source.read_bytes()))
    except _FileRejectedError as exc:
        report.errors.append(exc.error)
        return report
    report.total = len(rows)
    progress = _Progress(len(rows), on_progress)
    good, report.errors = _validate(header, rows, today=today, session=session, settings=settings, progress=progress)
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
            f"file:{source.name}",
            report.created + report.updated,
            {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len(report.errors),
                "partial": partial,
                "rows": report.total,
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
    taken: dict[int, int] = {}  # establishment id -> line that named it
    plan: list[tuple[Any, ValidMember]] = []
    for row in good:
        member = row.member
        known = existing.get(member.siren, [])
        without_siret = [e for e in known if e.siret is None]
        target: Any = None
        if member.siret is not None:
            target = by_siret.get(member.siret)
            if target is None and without_siret and without_siret[0].id not in taken:
                numbers = {p.e164 for p in phones.get(without_siret[0].id, [])}
                if numbers & {p.e164 for p in member.phones}:
                    target = without_siret[0]  # the same shop: the register learns its SIRET
        elif without_siret:
            target = without_siret[0]
        elif len(known) == 1:
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


def _same(old: Any, old_phones: list[Any], new: ValidMember) -> bool:
    return all(getattr(old, f) == getattr(new, f) for f in _FIELDS) and [p.e164 for p in old_phones] == [
        p.e164 for p in new.phones
    ]


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
    ids = session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), values).scalars().all()
    phones = [d for m, member_id in zip(chunk, ids, strict=True) for d in _phone_dicts(member_id, m.phones)]
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


def export_members(session: Session, out: TextIO, *, statuses: Sequence[MemberStatus] | None = None) -> int:
    """Write members (all, or those with the given statuses) to ``out`` in the import format; returns how
    many. Numbers withdrawn by STOP are written too, so that export then import changes nothing (they stay
    withdrawn in the database). The file has no expiry column: a renewal is not carried by it."""
    streets = dict(session.execute(select(Street.id, Street.name)).all())
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    query = select(Member).order_by(Member.id)
    if statuses is not None:
        query = query.where(Member.status.in_(list(statuses)))
    count = 0
    for chunk in session.scalars(query.execution_options(yield_per=CHUNK)).partitions():
        ids = [m.id for m in chunk]
        numbers: dict[int, list[str]] = {}
        for member_id, e164 in session.execute(
            select(MemberPhone.member_id, MemberPhone.e164)
            .where(MemberPhone.member_id.in_(ids))
            .order_by(MemberPhone.member_id, MemberPhone.position)
        ):
            numbers.setdefault(member_id, []).append(e164)
        for m in chunk:
            street = streets.get(m.street_id, "") if m.street_id is not None else ""
            writer.writerow(
                [
                    m.siren,
                    m.siret or "",
                    m.name,
                    m.category_id,
                    m.address,
                    street,
                    m.zone_id,
                    ";".join(numbers.get(m.id, [])),
                    m.contact,
                    m.registered_on.isoformat(),
                ]
            )
            count += 1
    return count
