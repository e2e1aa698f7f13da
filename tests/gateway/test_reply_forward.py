"""The rules for replies someone sees: which replies are pushed to the duty numbers, what the push says, and
which texts look like a STOP with more words (flagged for a human, nobody withdrawn)."""

from __future__ import annotations

import pytest

from drivers.text import analyse
from gateway.replies.forward import forward_text, looks_like_stop, should_forward

DUTY = ("+33639980001", "+33639980002")
MEMBER = "+33639981234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", False),  # a bare STOP withdraws the number: not for a human
        (" Arrêt ! ", False),
        ("STOP svp", True),
        ("Stop merci", True),
        ("stop, ils sont partis vers Marigot", True),
        ("Arrêtez les SMS s'il vous plaît", True),
        ("je veux me désinscrire", True),
        ("Stoppez les messages", True),
        ("unsubscribe please", True),
        ("Deux hommes en scooter rue de Hollande", False),
        ("Le voleur est arrêté devant la pharmacie", False),
        ("Merci, bien reçu", False),
        ("", False),
    ],
)
def test_looks_like_stop(text: str, expected: bool) -> None:
    assert looks_like_stop(text) is expected


@pytest.mark.parametrize(
    ("sender", "enabled", "duty", "member", "expected"),
    [
        (MEMBER, True, DUTY, True, True),
        (MEMBER, False, DUTY, True, False),  # switched off
        (MEMBER, True, (), True, False),  # nobody to push to
        ("+33639985555", True, DUTY, False, False),  # a stranger's SMS stays in the inbox
        ("+33639980001", True, DUTY, True, False),  # an operator answering the push would loop
    ],
)
def test_should_forward(sender: str, enabled: bool, duty: tuple[str, ...], member: bool, expected: bool) -> None:
    assert should_forward(sender, enabled=enabled, duty_numbers=duty, sender_is_member=member) is expected


def test_the_push_names_who_and_which_alert_and_quotes_the_reply() -> None:
    text = forward_text(
        "Ils partent vers\nla Marina",
        sender=MEMBER,
        establishments=["Boulangerie du Port (12345678900011)"],
        alert_id=12,
        stop_suspected=False,
        policy="gsm-folded",
        max_segments=6,
    )
    assert text == (
        f"Vigicommerce - réponse de Boulangerie du Port (12345678900011) ({MEMBER}) à l'alerte n° 12 : "
        "« Ils partent vers la Marina »"
    )


def test_a_long_reply_is_shortened_to_fit_and_a_suspected_stop_says_so() -> None:
    long_reply = "Scooter noir 🛵 " * 60
    text = forward_text(
        long_reply,
        sender=MEMBER,
        establishments=["A", "B", "C"],
        alert_id=None,
        stop_suspected=True,
        policy="gsm-folded",
        max_segments=3,
    )
    assert analyse(text, "gsm-folded").segments <= 3
    assert text.endswith("… »") and "Scooter noir" in text
    assert "A / B et 1 autre(s)" in text and "aucune alerte récente" in text and "ressemble à un STOP" in text
