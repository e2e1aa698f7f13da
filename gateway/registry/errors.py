"""The registry's exceptions: one root, data in attributes, messages in French for operators."""

from __future__ import annotations

from collections.abc import Iterable


class RegistryError(Exception):
    """Root of every error raised by :mod:`gateway.registry`."""


class InvalidSirenError(RegistryError):
    """A SIREN that is not nine digits or whose Luhn key is wrong."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"SIREN invalide « {value} » : {reason}")


class InvalidPhoneError(RegistryError):
    """A phone number that cannot be parsed, is not valid, or cannot receive SMS."""

    def __init__(self, value: str, reason: str, hint: str) -> None:
        self.value = value
        self.reason = reason
        self.hint = hint
        super().__init__(f"numéro invalide « {value} » : {reason} ; {hint}")


class UnknownReferenceError(RegistryError):
    """A zone, street or category that is not in the reference lists."""

    def __init__(self, kind: str, value: str, valid: Iterable[str]) -> None:
        self.kind = kind
        self.value = value
        self.valid = sorted(valid)
        super().__init__(f"{kind} inconnu(e) « {value} » ; valeurs possibles : {', '.join(self.valid)}")


class MemberNotFoundError(RegistryError):
    """No member with that SIREN (or id)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"aucun membre « {key} »")


class InvalidMemberError(RegistryError):
    """A member record that breaks a rule (missing name, street outside its zone, no phone ...)."""


class InvalidTransitionError(RegistryError):
    """A status change that the member's current status does not allow (e.g. renewing a withdrawn member)."""


class InvalidTargetError(RegistryError):
    """An alert target that selects nothing by construction (no zone, street, category nor whole territory)."""
