"""Replies someone sees: the rules for pushing a member's reply to the duty numbers, and for telling a STOP with
more words from a sighting. Pure; the handler (``gateway.replies.handler``) applies them when a reply is stored.

* A reply is pushed once, as an operational SMS to each duty number (``operator_numbers``), when forwarding is on
  (``[inbox] forward_replies``, on by default), the sender is a registered establishment's number (a stranger's or
  an operator's own SMS is not: an operator answering the push would otherwise loop), and there is a duty number.
* The push names the establishment(s), the number (in full: the duty officer calls back) and the alert the reply
  answers, and quotes the reply, shortened with "…" to fit ``max_segments``.
* ``STOP svp``, ``stop merci``, ``je veux me désinscrire``: they look like an opt-out but are not only the word,
  so nobody is withdrawn automatically (``stop, ils partent vers Marigot`` is a sighting); the reply is flagged for
  a human, who withdraws the number (``members withdraw``) or not.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from drivers.text import Policy, analyse
from gateway.replies.stop import is_stop_request, normalise

# Compared after normalise(), word by word: opt-out words anywhere, and "arrêt…" as the first word only ("le
# voleur est arrêté" is a sighting, "arrêtez les SMS" is not).
_ANYWHERE = ("stop", "desinscri", "desabonn", "unsubscribe")
_FIRST = ("arret",)
_WORD = re.compile(r"\w+", re.UNICODE)
ELLIPSIS = "…"
SHOWN_ESTABLISHMENTS = 2


def looks_like_stop(text: str) -> bool:
    """True when ``text`` has an opt-out word but is not a bare STOP (which ``is_stop_request`` handles)."""
    if is_stop_request(text):
        return False
    words = [normalise(w) for w in _WORD.findall(text)]
    return any(w.startswith(_ANYWHERE) for w in words) or bool(words and words[0].startswith(_FIRST))


def should_forward(sender: str, *, enabled: bool, duty_numbers: Collection[str], sender_is_member: bool) -> bool:
    """Whether a reply from ``sender`` is pushed to the duty numbers (see the module)."""
    return enabled and bool(duty_numbers) and sender_is_member and sender not in duty_numbers


def _fits(text: str, policy: Policy, max_segments: int) -> bool:
    return analyse(text, policy).segments <= max_segments


def forward_text(
    reply: str,
    *,
    sender: str,
    establishments: Sequence[str],
    alert_id: int | None,
    stop_suspected: bool,
    policy: Policy,
    max_segments: int,
) -> str:
    """The SMS the duty numbers get for one reply, within ``max_segments`` (the reply shortened if needed)."""
    who = " / ".join(establishments[:SHOWN_ESTABLISHMENTS]) or "établissement inconnu"
    if len(establishments) > SHOWN_ESTABLISHMENTS:
        who += f" et {len(establishments) - SHOWN_ESTABLISHMENTS} autre(s)"
    about = f"à l'alerte n° {alert_id}" if alert_id is not None else "(aucune alerte récente à ce numéro)"
    head = f"Vigicommerce - réponse de {who} ({sender}) {about}"
    if stop_suspected:
        head += " [ressemble à un STOP : à vérifier]"
    quoted = " ".join(reply.split())  # one line: the member's line breaks are not the push's layout

    def text(body: str) -> str:
        return f"{head} : « {body} »"

    if _fits(text(quoted), policy, max_segments):
        return text(quoted)
    low, high = 0, len(quoted)  # the longest prefix that fits, found by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(text(quoted[:middle].rstrip() + ELLIPSIS), policy, max_segments):
            low = middle
        else:
            high = middle - 1
    return text(quoted[:low].rstrip() + ELLIPSIS)
