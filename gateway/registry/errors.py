"""The registry's exceptions: one root, data in attributes, messages in French for operators."""

from __future__ import annotations

from collections.abc import Iterable


class RegistryError(Exception):
    """Root of every error raised by :mod:`gateway.registry`."""


class InvalidSirenError(RegistryError):
    """A SIREN (or SIRET: ``kind``) that is not nine (fourteen) digits or whose key is wrong."""

    def __init__(self, value: str, reason: str, kind: str = "SIREN") -> None:
        self.value = value
        self.reason = reason
        self.kind = kind
        super().__init__(f"{kind} invalide « {value} » : {reason}")


class InvalidPhoneError(RegistryError):
    """A phone number that cannot be parsed, is not valid, or cannot receive SMS."""

    def __init__(self, value: str, reason: str, hint: str) -> None:
        self.value = value
        self.reason = reason
        self.hint = hint
        super().__init__(f"numéro invalide « {value} » : {reason} ; {hint}")


class UnknownReferenceError(RegistryError):
    """A zone, street or category that is not in the reference lists; ``suggestion``: the closest known name."""

    def __init__(self, kind: str, value: str, valid: Iterable[str], suggestion: str | None = None) -> None:
        self.kind = kind
        self.value = value
        self.valid = list(valid)
        self.suggestion = suggestion
        hint = f" ; vouliez-vous dire « {suggestion} » ?" if suggestion else ""
        super().__init__(f"{kind} inconnu(e) « {value} »{hint} ; valeurs possibles : {', '.join(self.valid)}")


class MemberNotFoundError(RegistryError):
    """No establishment with that SIRET (or no establishment at all under that SIREN)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"aucun adhérent « {key} »")


class AmbiguousMemberError(RegistryError):
    """A SIREN given where one establishment is meant, and that business has several: the SIRET is needed."""

    def __init__(self, siren: str, establishments: Iterable[tuple[str, str]]) -> None:
        self.siren = siren
        self.establishments = sorted(establishments)  # (SIRET or SIREN, name)
        listed = ", ".join(f"{key} ({name})" for key, name in self.establishments)
        super().__init__(
            f"le SIREN {siren} a {len(self.establishments)} établissements ; donnez le SIRET de l'un d'eux : {listed}"
        )


class InvalidMemberError(RegistryError):
    """A member record that breaks a rule (missing name, street outside its zone, no phone ...)."""


class InvalidTransitionError(RegistryError):
    """A status change that the member's current status does not allow (e.g. renewing a withdrawn member)."""


class InvalidTargetError(RegistryError):
    """An alert target that selects nothing by construction (no zone, street, category nor whole territory)."""
