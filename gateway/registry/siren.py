"""SIREN (a business, 9 digits) and SIRET (one of its establishments, 14 digits), checked with python-stdnum.

A SIRET is the SIREN followed by a five-digit establishment number (NIC); both carry a Luhn key (La Poste's
SIRETs follow their own rule, which stdnum knows). Operators copy them with spaces or dots: both are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from gateway.registry.errors import InvalidSirenError

SIREN_LENGTH = 9
SIRET_LENGTH = 14


# La Poste's establishments share one SIREN and follow their own key rule (stdnum's ``siret.validate`` knows it).
LA_POSTE = "356000000"


def _compact(value: str) -> str:
    if value.isdigit():  # the common case, written without spaces: nothing to strip
        return value
    return "".join(value.replace(".", " ").split())


def _luhn_ok(digits: str) -> bool:
    """stdnum's Luhn check: an import checks thousands of keys, and stdnum's ``validate`` cleans its input
    again on each call, which the callers here did already."""
    return bool(luhn.checksum(digits) == 0)


def normalize_siren(value: str) -> str:
    """Return the nine-digit SIREN, or raise :class:`InvalidSirenError` saying what is wrong and what to write."""
    compact = _compact(value)
    if not compact:
        raise InvalidSirenError(value, "SIREN manquant ; écrivez les 9 chiffres du SIREN")
    if not compact.isascii() or not compact.isdigit():
        raise InvalidSirenError(value, "il ne doit contenir que des chiffres ; écrivez les 9 chiffres du SIREN")
    if len(compact) == SIRET_LENGTH:
        raise InvalidSirenError(value, "c'est un SIRET (14 chiffres) ; gardez les 9 premiers chiffres (le SIREN)")
    if len(compact) == SIREN_LENGTH and _luhn_ok(compact):
        return compact
    try:
        return str(stdnum_siren.validate(compact))
    except InvalidLength:
        raise InvalidSirenError(
            value, f"{len(compact)} chiffres au lieu de 9 ; vérifiez le SIREN sur l'extrait Kbis ou l'avis INSEE"
        ) from None
    except InvalidChecksum:
        raise InvalidSirenError(value, "clé de contrôle fausse (chiffre mal recopié ?) ; vérifiez le SIREN") from None
    except ValidationError:
        raise InvalidSirenError(value, "format invalide ; écrivez les 9 chiffres du SIREN") from None


def normalize_siret(value: str) -> str:
    """Return the fourteen-digit SIRET, or raise :class:`InvalidSirenError` saying what is wrong."""
    compact = _compact(value)
    if not compact:
        raise InvalidSirenError(value, "SIRET manquant ; écrivez les 14 chiffres du SIRET", kind="SIRET")
    if not compact.isascii() or not compact.isdigit():
        raise InvalidSirenError(
            value, "il ne doit contenir que des chiffres ; écrivez les 14 chiffres du SIRET", kind="SIRET"
        )
    siren = compact[:SIREN_LENGTH]
    if len(compact) == SIRET_LENGTH and siren != LA_POSTE and _luhn_ok(compact) and _luhn_ok(siren):
        return compact
    try:
        return str(stdnum_siret.validate(compact))
    except InvalidLength:
        raise InvalidSirenError(
            value, f"{len(compact)} chiffres au lieu de 14 ; vérifiez le SIRET sur l'avis de situation INSEE", "SIRET"
        ) from None
    except InvalidChecksum:
        raise InvalidSirenError(
            value, "clé de contrôle fausse (chiffre mal recopié ?) ; vérifiez le SIRET", kind="SIRET"
        ) from None
    except ValidationError:
        raise InvalidSirenError(value, "format invalide ; écrivez les 14 chiffres du SIRET", kind="SIRET") from None


@dataclass(frozen=True, slots=True)
class EstablishmentKey:
    """What an operator typed to name an establishment: a SIRET (``siret`` set) or only a SIREN."""

    siren: str
    siret: str | None

    @property
    def text(self) -> str:
        return self.siret or self.siren


def parse_key(value: str) -> EstablishmentKey:
    """A SIRET (14 digits) or a SIREN (9 digits), spaces and dots allowed; the error says which to give."""
    compact = _compact(value)
    if len(compact) == SIRET_LENGTH:
        siret = normalize_siret(compact)
        return EstablishmentKey(siret[:SIREN_LENGTH], siret)
    if len(compact) == SIREN_LENGTH or not compact.isdigit():
        return EstablishmentKey(normalize_siren(value), None)
    raise InvalidSirenError(
        value,
        f"{len(compact)} chiffres : donnez le SIRET de l'établissement (14 chiffres) ou le SIREN de l'entreprise (9)",
        kind="SIRET",
    )


def identify(siren: str, siret: str) -> EstablishmentKey:
    """The key of a record that gives a SIREN, a SIRET or both (they must agree)."""
    if not siren.strip() and not siret.strip():
        raise InvalidSirenError(
            "", "SIRET (ou SIREN) manquant ; écrivez le SIRET de l'établissement (14 chiffres)", kind="SIRET"
        )
    if siret.strip():
        key = parse_key(siret)
        if siren.strip() and _compact(siren) != key.siren:  # the same digits need no second check
            given = normalize_siren(siren)
            if key.siren != given:
                raise InvalidSirenError(
                    siret,
                    f"ce SIRET appartient au SIREN {key.siren}, pas au SIREN {given} ; corrigez l'un des deux",
                    kind="SIRET",
                )
        return key
    return EstablishmentKey(normalize_siren(siren), None)
