"""Composing the SMS text of an alert: French and English joined by the template, exercise prefixes,
then the text policy (GSM folding) and the segment count. Pure: no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.text import GSM7_MULTI_PART, GSM7_SINGLE_PART, UCS2_MULTI_PART, UCS2_SINGLE_PART, analyse
from gateway.alerts.errors import InvalidAlertError, TextTooLongError
from gateway.alerts.models import AlertStatus
from gateway.alerts.settings import TextSettings
from gateway.printable import printable

_PLACEHOLDER = re.compile(r"\{(fr|en)\}")


@dataclass(frozen=True, slots=True)
class ComposedText:
    """The exact text that goes on the air and what it costs (``length`` in septets or UTF-16 units)."""

    text: str
    encoding: str
    segments: int
    length: int
    ucs2_forced_by: tuple[str, ...]
    folded: tuple[tuple[str, str], ...] = ()  # what GSM folding changed, for the preview


def join_languages(text_fr: str, text_en: str, template: str) -> str:
    """French and English in the template; French alone when there is no English.

    One pass over the template rather than ``str.format``: a template or a text may contain braces, and
    a French text containing ``{en}`` must stay as written.
    """
    if not text_en:
        return text_fr
    values = {"fr": text_fr, "en": text_en}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _capacity(segments: int, encoding: str) -> int:
    if encoding == "gsm7":
        return GSM7_SINGLE_PART if segments == 1 else segments * GSM7_MULTI_PART
    return UCS2_SINGLE_PART if segments == 1 else segments * UCS2_MULTI_PART


def check_length(text: str, settings: TextSettings, field: str = "text") -> ComposedText:
    """Check the text is printable (``gateway.printable``, CR/CRLF made LF), apply the text policy and count
    segments; raise :class:`UnprintableTextError` or :class:`TextTooLongError` above ``max_segments``.

    Every text that goes to a phone (alerts, operational messages, campaigns, STOP confirmations) passes here.
    """
    info = analyse(printable(text, field), settings.policy)
    if info.segments > settings.max_segments:
        excess = info.length - _capacity(settings.max_segments, info.encoding)
        raise TextTooLongError(info.segments, settings.max_segments, info.encoding, excess, info.ucs2_forced_by)
    return ComposedText(info.text, info.encoding, info.segments, info.length, info.ucs2_forced_by, info.folded)


def compose(text_fr: str, text_en: str, *, status: AlertStatus, settings: TextSettings) -> ComposedText:
    """The SMS of an alert (or an update, or an end of alert): ``<signature> <fr>`` and the English text joined
    by the template. An exercise starts each language with ``EXERCICE``/``EXERCISE`` and a test with ``TEST``,
    so that no member mistakes it for a real alert, whichever language they read; the signature comes first,
    so that the member knows who writes before reading on (a text from an unknown number may pass for a scam).
    """
    fr, en = printable(text_fr, "text_fr").strip(), printable(text_en, "text_en").strip()
    if not fr:
        raise InvalidAlertError("texte français manquant ; une alerte a toujours un texte en français")
    prefixes = {
        AlertStatus.EXERCISE: (settings.exercise_prefix_fr, settings.exercise_prefix_en),
        AlertStatus.TEST: (settings.test_prefix_fr, settings.test_prefix_en),
    }.get(status)
    if prefixes is not None:
        fr = f"{prefixes[0]} - {fr}" if prefixes[0] else fr
        if en and prefixes[1]:
            en = f"{prefixes[1]} - {en}"
    text = join_languages(fr, en, settings.template)
    signature = settings.signature.strip()
    return check_length(f"{signature} {text}" if signature else text, settings)
