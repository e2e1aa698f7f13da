"""Recognising a stop request in an SMS. Pure."""

from __future__ import annotations

import unicodedata

# Compared after normalise(): "STOP SMS" and "Stop alertes" arrive as "stopsms" and "stopalertes".
STOP_WORDS = frozenset(
    {"stop", "stopp", "arret", "arreter", "arrete", "unsubscribe", "stopsms", "stopalerte", "stopalertes"}
)


def normalise(text: str) -> str:
    """Lower case, accents removed, spaces and punctuation removed: `` Arrêt !`` -> ``arret``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def is_stop_request(text: str) -> bool:
    """True for STOP / ARRET / ARRÊT / stop / `` Arrêt `` in any case, with spaces, accents or a final dot.

    Only a message that is nothing but the word counts: "stop, ils sont partis vers Marigot" is a sighting
    for the gendarmerie, not an opt-out.
    """
    return normalise(text) in STOP_WORDS
