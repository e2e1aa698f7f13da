"""OASIS CAP 1.2 documents as alert drafts. Pure: no database.

Mapping (documented in the README):

* ``status``: Actual → actual, Exercise → exercise, Test → test; System and Draft are refused;
* ``msgType``: Alert, Update, Cancel; Ack and Error are refused; ``references`` (``sender,identifier,sent``
  triples) name earlier CAP messages, found again by their ``cap:<sender>:<identifier>`` key;
* one ``info`` block per language: ``fr*`` is the French text, ``en*`` the English one (another language is
  refused, French is required); the SMS text of a block is its ``description``, or its ``headline``;
* ``area/geocode`` with ``valueName`` ``zone`` (a zone id), ``street`` (a street name) or
  ``whole_territory`` (``true``); ``info/parameter`` ``category`` narrows to activity categories.

Parsing uses defusedxml: no DTD, no entity, no external reference is ever resolved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gateway.alerts.models import AlertStatus, AlertType

NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = f"{{{NS}}}"
STATUSES = {"Actual": AlertStatus.ACTUAL, "Exercise": AlertStatus.EXERCISE, "Test": AlertStatus.TEST}
TYPES = {"Alert": AlertType.ALERT, "Update": AlertType.UPDATE, "Cancel": AlertType.CANCEL}
MAX_KEY = 200


class CapError(Exception):
    """A CAP document that cannot be used; ``status`` 400 (unreadable XML) or 422, ``field`` the element."""

    def __init__(self, status: int, message: str, field: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True, slots=True)
class CapReference:
    sender: str
    identifier: str
    sent: str

    @property
    def key(self) -> str:
        return cap_key(self.sender, self.identifier)


@dataclass(frozen=True, slots=True)
class CapAlert:
    identifier: str
    sender: str
    status: AlertStatus
    msg_type: AlertType
    text_fr: str
    text_en: str = ""
    references: tuple[CapReference, ...] = ()
    zones: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    whole_territory: bool = False

    @property
    def key(self) -> str:
        """The idempotency key of this message: resending the same CAP message sends nothing twice."""
        return cap_key(self.sender, self.identifier)


def cap_key(sender: str, identifier: str) -> str:
    key = f"cap:{sender}:{identifier}"
    return key if len(key) <= MAX_KEY else "cap:sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass
class _Area:
    zones: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    whole: bool = False


def _text(parent: Element, name: str) -> str:
    found = parent.find(_Q + name)
    return (found.text or "").strip() if found is not None else ""


def _required(parent: Element, name: str) -> str:
    value = _text(parent, name)
    if not value:
        raise CapError(422, f"élément CAP <{name}> manquant ou vide", name)
    return value


def parse_cap(data: bytes) -> CapAlert:
    """Read a CAP 1.2 ``alert``; raises :class:`CapError` saying what does not fit."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapError(400, "XML refusé : DTD, entités et références externes sont interdites", None) from exc
    except ParseError as exc:
        raise CapError(400, f"XML mal formé : {exc}", None) from exc
    if root.tag != _Q + "alert":
        raise CapError(422, f"l'élément racine doit être <alert> de l'espace de noms {NS} (reçu {root.tag})", "alert")
    identifier, sender = _required(root, "identifier"), _required(root, "sender")
    _required(root, "sent")
    status_text, type_text = _required(root, "status"), _required(root, "msgType")
    if status_text not in STATUSES:
        raise CapError(422, f"status « {status_text} » non pris en charge ; Actual, Exercise ou Test", "status")
    if type_text not in TYPES:
        raise CapError(422, f"msgType « {type_text} » non pris en charge ; Alert, Update ou Cancel", "msgType")
    references = _references(_text(root, "references"))
    texts: dict[str, str] = {}
    area = _Area()
    infos = root.findall(_Q + "info")
    if not infos:
        raise CapError(422, "aucun bloc <info> : il en faut un en français (language fr-FR)", "info")
    for info in infos:
        language = (_text(info, "language") or "en-US").lower()
        lang = language[:2]
        if lang not in ("fr", "en") or (len(language) > 2 and language[2] != "-"):
            raise CapError(422, f"langue « {language} » non prise en charge ; fr ou en", "info.language")
        if lang in texts:
            raise CapError(422, f"deux blocs <info> en « {lang} » ; un seul par langue", "info.language")
        texts[lang] = _text(info, "description") or _text(info, "headline")
        if not texts[lang]:
            raise CapError(422, f"bloc <info> « {language} » sans <description> ni <headline>", "info.description")
        _read_area(info, area)
    if "fr" not in texts:
        raise CapError(422, "aucun bloc <info> en français (language fr-FR)", "info.language")
    return CapAlert(
        identifier=identifier,
        sender=sender,
        status=STATUSES[status_text],
        msg_type=TYPES[type_text],
        text_fr=texts["fr"],
        text_en=texts.get("en", ""),
        references=references,
        zones=tuple(dict.fromkeys(area.zones)),
        streets=tuple(dict.fromkeys(area.streets)),
        categories=tuple(dict.fromkeys(area.categories)),
        whole_territory=area.whole,
    )


def _references(text: str) -> tuple[CapReference, ...]:
    found = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(422, f"référence « {item} » : attendu sender,identifier,sent", "references")
        found.append(CapReference(*parts))
    return tuple(found)


def _read_area(info: Element, area: _Area) -> None:
    for parameter in info.findall(_Q + "parameter"):
        if _text(parameter, "valueName") == "category":
            area.categories.append(_text(parameter, "value"))
    for block in info.findall(_Q + "area"):
        for geocode in block.findall(_Q + "geocode"):
            name, value = _text(geocode, "valueName"), _text(geocode, "value")
            if name == "zone":
                area.zones.append(value)
            elif name == "street":
                area.streets.append(value)
            elif name == "whole_territory" and value.lower() == "true":
                area.whole = True
            else:
                raise CapError(422, f"geocode « {name} » inconnu ; zone, street ou whole_territory", "info.area")
