"""What the texts members receive are made of: the text policy, the segment limit, how French and English are
joined, the signature, the status prefixes, the alert templates. Read by alerts, campaigns, replies and the
workers; built by the daemon (and the CLI's loader) from the ``[text]`` section of the configuration.

The schema builds this class from every key of its ``[text]`` section, so a new setting is one field here and
the same key in ``gateway.settings.TextSection``; a reload (SIGHUP) applies any change of this value as a whole,
the templates re-read from ``templates_file`` included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.base import TextPolicy
from gateway.alerts.templates import TemplateSet, load_templates

# Plain hyphen, not the en dash of the gendarmerie's letterheads: an en dash is not GSM 7-bit and would make
# every alert UCS-2 (70 characters per SMS instead of 160) under the exact text policy.
DEFAULT_SIGNATURE = "Gendarmerie - Vigicommerce :"
DEFAULT_TEMPLATES_FILE = "/etc/vigicommerce/templates.toml"


def _package_templates() -> TemplateSet:
    return load_templates(None)


@dataclass(frozen=True, slots=True)
class TextSettings:
    """``policy``: ``gsm-folded`` keeps French text in GSM 7-bit where a faithful folding allows it, ``exact``
    sends it as written; ``max_segments``: the most SMS parts a text may take; ``template``: how the French and
    English texts are joined (``{fr}`` and ``{en}``); ``signature``: what starts every alert and end of alert
    (empty: none), so that a merchant knows who writes before reading on; ``exercise_prefix_*`` and
    ``test_prefix_*``: what starts each language of an exercise or a test alert; ``templates_file``: the
    station's own alert templates (absent: the package's alone); ``templates``: the set in force, read from
    the package and that file."""

    policy: TextPolicy = "gsm-folded"
    max_segments: int = 6
    template: str = "{fr}\n---\n{en}"
    signature: str = DEFAULT_SIGNATURE
    exercise_prefix_fr: str = "EXERCICE"
    exercise_prefix_en: str = "EXERCISE"
    test_prefix_fr: str = "TEST"
    test_prefix_en: str = "TEST"
    templates_file: str = DEFAULT_TEMPLATES_FILE
    templates: TemplateSet = field(default_factory=_package_templates)
