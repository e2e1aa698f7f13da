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
