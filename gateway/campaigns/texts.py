"""Texts members receive about their registration, in French and English."""

from __future__ import annotations

from datetime import date

from gateway.alerts.compose import check_length, join_languages
from gateway.alerts.errors import TextTooLongError
from gateway.alerts.settings import TextSettings
from gateway.printable import UnprintableTextError, printable


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def reminder_text(name: str, expires_on: date, settings: TextSettings) -> str:
    """The reminder for one member; without the name if a long name would exceed the segment limit, or if the
    name holds a character no phone may receive (a register imported from a spreadsheet may carry one)."""
    try:
        return _reminder(name, expires_on, settings)
    except (TextTooLongError, UnprintableTextError):
        return _reminder("votre commerce", expires_on, settings)


def _reminder(name: str, expires_on: date, settings: TextSettings) -> str:
    fr = (
        f"Vigicommerce : l'inscription de {name} aux alertes SMS prend fin le {_d(expires_on)}. "
        "Pour continuer à recevoir les alertes, renouvelez-la auprès de la CCISM."
    )
    en = (
        f"Vigicommerce: the registration of {name} for SMS alerts ends on {_d(expires_on)}. "
        "To keep receiving alerts, renew it with the CCISM."
    )
    return check_length(join_languages(fr, en, settings.template), settings).text


def reregistration_text(window_from: date, window_to: date, settings: TextSettings) -> str:
    """The announcement of a re-registration window."""
    fr = (
        f"Vigicommerce : votre inscription aux alertes SMS arrive à échéance. La CCISM ouvre les "
        f"réinscriptions du {_d(window_from)} au {_d(window_to)}. Contactez la CCISM pour rester inscrit."
    )
    en = (
        f"Vigicommerce: your registration for SMS alerts is ending. The CCISM re-registration window runs "
        f"from {_d(window_from)} to {_d(window_to)}. Contact the CCISM to stay registered."
    )
    return check_length(join_languages(fr, en, settings.template), settings).text


def custom_text(text_fr: str, text_en: str, settings: TextSettings) -> str:
    """A campaign text the CCISM wrote (French, English optional), checked field by field like an alert's."""
    fr, en = printable(text_fr, "text_fr").strip(), printable(text_en, "text_en").strip()
    return check_length(join_languages(fr, en, settings.template), settings).text
