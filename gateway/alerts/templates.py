"""Alert templates: pre-translated French/English texts with placeholders, kept as data.

The set ships in the package (``gateway/alerts/templates.toml``, where the format is described); a station
overrides or adds templates by id in the file ``[text] templates_file`` names (default
``/etc/vigicommerce/templates.toml``; absent is fine). Loading is done when the configuration is read, so a
reload (SIGHUP) re-reads the file with the rest of ``[text]``, and a broken file is refused like a broken
configuration (``config check``, the daemon's start, a reload that keeps the running set).

Rendering is pure: :func:`render` fills a template's placeholders from the operator's fields and from
defaults the caller derives (the target's street and quartier, the local time), and refuses a missing or
unknown field by name. Values are substituted in one pass, so a value containing ``{detail}`` stays as typed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.alerts.errors import (
    InvalidFieldError,
    MissingFieldError,
    TemplateFileError,
    UnknownFieldError,
    UnknownTemplateError,
)
from gateway.printable import UnprintableTextError, printable

PACKAGE_FILE = "templates.toml"
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_BRACE = re.compile(r"[{}]")
# A field given as NAME_en fills NAME in the English text only.
EN_SUFFIX = "_en"
# The CAP message types a template may send (gateway.alerts.models.AlertType values).
KINDS = ("alert", "update", "cancel")


@dataclass(frozen=True, slots=True)
class Template:
    """One template: ``id`` for programs, ``label`` (French) for the picker, ``kind`` the CAP message type it
    sends (an update or an end of alert refers to an earlier alert), ``fr`` and ``en`` with placeholders."""

    id: str
    label: str
    kind: str
    fr: str
    en: str

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholders' names, in the order they first appear (French text, then English)."""
        return tuple(dict.fromkeys(_PLACEHOLDER.findall(self.fr + "\n" + self.en)))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template filled in: the two texts, and every field's value as used (defaults included)."""

    template: Template
    text_fr: str
    text_en: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TemplateSet:
    """The templates in force, in the order a picker shows them; ``sources``: the files they came from."""

    templates: tuple[Template, ...] = ()
    sources: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates)

    def __len__(self) -> int:
        return len(self.templates)

    def get(self, template_id: str) -> Template:
        """The template with that id (case and surrounding spaces forgiven); raises :class:`UnknownTemplateError`."""
        wanted = template_id.strip().lower()
        for template in self.templates:
            if template.id == wanted:
                return template
        raise UnknownTemplateError(template_id, tuple(t.id for t in self.templates))


def _check_text(source: str, template_id: str, language: str, text: Any) -> str:
    where = f"{source} : modèle « {template_id} », texte {language}"
    if not isinstance(text, str) or not text.strip():
        raise TemplateFileError(f"{where} : texte manquant ou vide")
    try:
        text = printable(text)
    except UnprintableTextError as exc:
        raise TemplateFileError(f"{where} : {exc}") from exc
    if "\n" in text:
        raise TemplateFileError(f"{where} : saut de ligne interdit (le texte tient sur une ligne)")
    stray = _BRACE.search(_PLACEHOLDER.sub("", text))
    if stray is not None:
        raise TemplateFileError(
            f"{where} : accolade « {stray.group()} » hors d'un champ ; un champ s'écrit {{nom}} "
            "(lettres minuscules, chiffres, _)"
        )
    return text.strip()


def parse_templates(data: Mapping[str, Any], source: str) -> list[Template]:
    """The templates of one file's data (``[[templates]]`` tables); raises :class:`TemplateFileError`."""
    unknown = set(data) - {"templates"}
    if unknown:
        raise TemplateFileError(f"{source} : clé inconnue « {sorted(unknown)[0]} » ; seules des tables [[templates]]")
    tables = data.get("templates", [])
    if not isinstance(tables, list):
        raise TemplateFileError(f"{source} : « templates » doit être une liste de tables [[templates]]")
    found: list[Template] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise TemplateFileError(f"{source} : le modèle n° {number} n'est pas une table")
        template_id = table.get("id")
        if not isinstance(template_id, str) or not _ID.fullmatch(template_id):
            raise TemplateFileError(
                f"{source} : modèle n° {number} : id {template_id!r} invalide ; lettres minuscules, chiffres et "
                "tirets (vol-arrache)"
            )
        if template_id in seen:
            raise TemplateFileError(f"{source} : modèle « {template_id} » défini deux fois")
        seen.add(template_id)
        extra = set(table) - {"id", "label", "type", "fr", "en"}
        if extra:
            raise TemplateFileError(
                f"{source} : modèle « {template_id} » : clé inconnue « {sorted(extra)[0]} » "
                "(clés : id, label, type, fr, en)"
            )
        label = table.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TemplateFileError(f"{source} : modèle « {template_id} » : libellé (label) manquant")
        kind = table.get("type", "alert")
        if kind not in KINDS:
            raise TemplateFileError(
                f"{source} : modèle « {template_id} » : type {table.get('type')!r} inconnu (alert, update ou cancel)"
            )
        fr = _check_text(source, template_id, "fr", table.get("fr"))
        en = _check_text(source, template_id, "en", table.get("en"))
        found.append(Template(template_id, printable(label).strip(), kind, fr, en))
    return found


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateFileError(f"{path} : impossible de lire le fichier des modèles ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateFileError(f"{path} : ce n'est pas du TOML valide : {exc}") from exc


@cache
def package_templates() -> tuple[Template, ...]:
    """The templates shipped with the gateway (read once per process)."""
    text = resources.files("gateway.alerts").joinpath(PACKAGE_FILE).read_text(encoding="utf-8")
    return tuple(parse_templates(tomllib.loads(text), f"gateway/alerts/{PACKAGE_FILE}"))


def merge(base: Iterable[Template], overrides: Iterable[Template]) -> tuple[Template, ...]:
    """``base`` with each template of ``overrides`` replacing the one of the same id, new ids at the end."""
    by_id = {t.id: t for t in base}
    for template in overrides:
        by_id[template.id] = template  # a dict keeps the first insertion's place: a replaced template stays put
    return tuple(by_id.values())


def load_templates(override_file: str | None) -> TemplateSet:
    """The package's templates, overridden or extended by ``override_file`` when it exists."""
    sources = [f"gateway/alerts/{PACKAGE_FILE}"]
    templates = package_templates()
    if override_file:
        path = Path(override_file)
        if path.exists():
            templates = merge(templates, parse_templates(_read(path), str(path)))
            sources.append(str(path))
    return TemplateSet(templates, tuple(sources))


def _value(name: str, raw: str) -> str:
    try:
        value = printable(raw, name).strip()
    except UnprintableTextError as exc:
        raise InvalidFieldError(name, str(exc)) from exc
    if "\n" in value:
        raise InvalidFieldError(name, "saut de ligne interdit : un champ tient sur une ligne")
    return value


def render(template: Template, given: Mapping[str, str], defaults: Mapping[str, str] | None = None) -> Rendered:
    """Fill ``template`` with the operator's fields (``given``, which win) and ``defaults``.

    Raises :class:`UnknownFieldError` for a given field the template has not (a typo would silently drop the
    detail), :class:`MissingFieldError` naming every field left without a value, :class:`InvalidFieldError`
    for a value with a control character or a line break.
    """
    names = template.fields
    defaults = defaults or {}
    allowed = set(names) | {name + EN_SUFFIX for name in names}
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise UnknownFieldError(template.id, tuple(unknown), names)
    values = {name: _value(name, raw) for name, raw in given.items()}
    for name in names:
        if not values.get(name) and defaults.get(name, "").strip():
            values[name] = _value(name, defaults[name])
    missing = tuple(name for name in names if not values.get(name))
    if missing:
        raise MissingFieldError(template.id, missing)

    def fill(text: str, english: bool) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            return (values.get(name + EN_SUFFIX) if english else None) or values[name]

        return _PLACEHOLDER.sub(one, text)

    used = tuple((name, values[name]) for name in names) + tuple(
        (name + EN_SUFFIX, values[name + EN_SUFFIX]) for name in names if values.get(name + EN_SUFFIX)
    )
    return Rendered(template, fill(template.fr, False), fill(template.en, True), used)
