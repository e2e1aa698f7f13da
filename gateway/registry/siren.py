"""SIREN numbers: nine digits whose Luhn checksum is a multiple of ten."""

from __future__ import annotations

from gateway.registry.errors import InvalidSirenError

SIREN_LENGTH = 9


def luhn_ok(digits: str) -> bool:
    """True when the Luhn checksum of ``digits`` (a string of ASCII digits) is a multiple of ten."""
    total = 0
    # Double every second digit counting from the right (the key is the rightmost digit).
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalize_siren(value: str) -> str:
    """Return the nine-digit SIREN, spaces removed, or raise :class:`InvalidSirenError` saying what is wrong.

    Operators often copy a SIREN as ``123 456 789`` or type a SIRET (14 digits): both get a message that
    tells them what to write instead.
    """
    compact = "".join(value.split())
    if not compact:
        raise InvalidSirenError(value, "SIREN manquant ; écrivez les 9 chiffres du SIREN")
    if not compact.isascii() or not compact.isdigit():
        raise InvalidSirenError(value, "il ne doit contenir que des chiffres ; écrivez les 9 chiffres du SIREN")
    if len(compact) == 14:
        raise InvalidSirenError(value, "c'est un SIRET (14 chiffres) ; gardez les 9 premiers chiffres (le SIREN)")
    if len(compact) != SIREN_LENGTH:
        raise InvalidSirenError(
            value, f"{len(compact)} chiffres au lieu de 9 ; vérifiez le SIREN sur l'extrait Kbis ou l'avis INSEE"
        )
    if not luhn_ok(compact):
        raise InvalidSirenError(value, "clé de contrôle fausse (chiffre mal recopié ?) ; vérifiez le SIREN")
    return compact


def is_valid_siren(value: str) -> bool:
    """True when ``value`` is a valid SIREN (spaces allowed)."""
    try:
        normalize_siren(value)
    except InvalidSirenError:
        return False
    return True
