"""What the texts members receive are made of: the text policy, the segment limit, how French and English are
joined, the exercise prefixes. Read by alerts, campaigns, replies and the workers; built by the daemon (and the
CLI's loader) from the ``[text]`` section of the configuration.

This is where the text settings to come (alert templates, a signature: issue 11) hang: the schema builds this
class from every key of its ``[text]`` section, so a new setting is one field here and the same key in
``gateway.settings.TextSection``; a reload (SIGHUP) applies any change of this value as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.base import TextPolicy


@dataclass(frozen=True, slots=True)
class TextSettings:
    """``policy``: ``gsm-folded`` keeps French text in GSM 7-bit where a faithful folding allows it, ``exact``
    sends it as written; ``max_segments``: the most SMS parts a text may take; ``template``: how the French and
    English texts are joined (``{fr}`` and ``{en}``); ``exercise_prefix_*``: what starts an exercise alert."""

    policy: TextPolicy = "gsm-folded"
    max_segments: int = 6
    template: str = "{fr}\n---\n{en}"
    exercise_prefix_fr: str = "EXERCICE"
    exercise_prefix_en: str = "EXERCISE"
