"""Errors of :mod:`gateway.alerts`: one root, data in attributes, French messages for operators."""

from __future__ import annotations


class AlertError(Exception):
    """Root of every error raised by :mod:`gateway.alerts`."""


class InvalidAlertError(AlertError):
    """The alert request breaks a rule (empty text, update without reference, mismatched status ...)."""


class AlertNotFoundError(AlertError):
    """No alert with that id."""

    def __init__(self, alert_id: int) -> None:
        self.alert_id = alert_id
        super().__init__(f"aucune alerte n° {alert_id}")


class NoRecipientsError(AlertError):
    """The target reaches no number today: nothing would be sent, so nothing is recorded."""


class TextTooLongError(AlertError):
    """The composed text costs more SMS segments than allowed."""

    def __init__(
        self, segments: int, max_segments: int, encoding: str, excess: int, forced_by: tuple[str, ...]
    ) -> None:
        self.segments = segments
        self.max_segments = max_segments
        self.encoding = encoding
        self.excess = excess
        self.forced_by = forced_by
        message = (
            f"texte trop long : {segments} SMS (segments) alors que le maximum est {max_segments} ; "
            f"raccourcissez le texte d'environ {excess} caractères"
        )
        if forced_by:
            message += (
                f" ; les caractères {' '.join(repr(c) for c in forced_by)} imposent l'encodage UCS-2 "
                "(70 caractères par SMS au lieu de 160) : remplacez-les pour tripler la place"
            )
        super().__init__(message)


class IdempotencyConflictError(AlertError):
    """The idempotency key was already used for an alert with a different body."""

    def __init__(self, key: str, alert_id: int) -> None:
        self.key = key
        self.alert_id = alert_id
        super().__init__(
            f"la clé d'idempotence « {key} » a déjà servi pour l'alerte n° {alert_id} avec un contenu différent ; "
            "utilisez une nouvelle clé pour une nouvelle alerte"
        )


class TemplateFileError(AlertError):
    """A templates file that cannot be used (unreadable, not TOML, a template malformed): the message names the
    file, the template and what to fix."""


class UnknownTemplateError(InvalidAlertError):
    """No template with that id."""

    def __init__(self, template_id: str, known: tuple[str, ...]) -> None:
        self.template_id = template_id
        self.known = known
        super().__init__(
            f"modèle « {template_id} » inconnu ; modèles disponibles : {', '.join(known)} "
            "(vigicommerce alert templates)"
        )


class MissingFieldError(InvalidAlertError):
    """A template's placeholders left without a value; ``fields`` names each of them."""

    def __init__(self, template_id: str, fields: tuple[str, ...]) -> None:
        self.template_id = template_id
        self.fields = fields
        plural = "s" if len(fields) > 1 else ""
        super().__init__(
            f"modèle « {template_id} » : champ{plural} manquant{plural} : {', '.join(fields)} ; "
            f"donnez une valeur à chacun"
        )


class UnknownFieldError(InvalidAlertError):
    """A field given that the template does not have (a typo would drop the value silently)."""

    def __init__(self, template_id: str, fields: tuple[str, ...], known: tuple[str, ...]) -> None:
        self.template_id = template_id
        self.fields = fields
        self.known = known
        super().__init__(
            f"modèle « {template_id} » : champ inconnu « {fields[0]} » ; champs de ce modèle : {', '.join(known)} "
            "(NOM_en pour une valeur propre au texte anglais)"
        )


class InvalidFieldError(InvalidAlertError):
    """A field's value that cannot go into an SMS (a control character, a line break)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"champ « {field} » : {reason}")
