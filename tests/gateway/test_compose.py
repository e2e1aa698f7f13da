"""Composing alert texts: template, exercise prefixes, folding, segment limit with a French message."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.alerts.compose import check_length, compose, join_languages
from gateway.alerts.errors import InvalidAlertError, TextTooLongError
from gateway.alerts.models import AlertStatus
from gateway.alerts.settings import TextSettings
from gateway.campaigns.texts import custom_text, reminder_text
from gateway.printable import UnprintableTextError

# Without the signature, so that each test reads the part it checks; the signature is tested in test_templates.
TEXT = TextSettings(signature="")


def test_french_and_english_joined_by_the_template() -> None:
    got = compose(
        "Vol à l'arraché rue Kennedy", "Bag snatching on Kennedy street", status=AlertStatus.ACTUAL, settings=TEXT
    )
    assert got.text == "Vol à l'arraché rue Kennedy\n---\nBag snatching on Kennedy street"
    assert (got.encoding, got.segments) == ("gsm7", 1)


def test_french_alone_when_no_english() -> None:
    assert compose("Vol rue Kennedy", "", status=AlertStatus.ACTUAL, settings=TEXT).text == "Vol rue Kennedy"


def test_template_is_configurable_and_braces_in_text_are_harmless() -> None:
    settings = TextSettings(template="FR: {fr} / EN: {en}")
    assert join_languages("a {en} b", "c", settings.template) == "FR: a {en} b / EN: c"


def test_exercise_prefixes_both_languages() -> None:
    got = compose("Vol rue Kennedy", "Theft on Kennedy street", status=AlertStatus.EXERCISE, settings=TEXT)
    assert got.text.startswith("EXERCICE - Vol rue Kennedy")
    assert "\n---\nEXERCISE - Theft" in got.text
    custom = TextSettings(exercise_prefix_fr="EXO", exercise_prefix_en="DRILL", signature="")
    assert compose("x", "y", status=AlertStatus.EXERCISE, settings=custom).text == "EXO - x\n---\nDRILL - y"


def test_actual_alerts_have_no_prefix_and_tests_say_test() -> None:
    assert compose("Vol", "", status=AlertStatus.ACTUAL, settings=TEXT).text == "Vol"
    assert compose("Vol", "Theft", status=AlertStatus.TEST, settings=TEXT).text == "TEST - Vol\n---\nTEST - Theft"


def test_typographic_french_is_folded_to_gsm7() -> None:
    got = compose(
        "« Individus » repérés près de l’église — fenêtre brisée", "", status=AlertStatus.ACTUAL, settings=TEXT
    )
    assert got.encoding == "gsm7"
    assert got.text == '" Individus " repérés près de l\'église - fenetre brisée'


def test_exact_policy_keeps_ucs2_and_names_the_characters() -> None:
    got = compose("fenêtre", "", status=AlertStatus.ACTUAL, settings=TextSettings(policy="exact"))
    assert (got.encoding, got.ucs2_forced_by) == ("ucs2", ("ê",))


def test_too_long_text_is_refused_with_segments_and_how_much_to_cut() -> None:
    settings = TextSettings(max_segments=2, signature="")
    with pytest.raises(TextTooLongError) as err:
        compose("a" * 400, "", status=AlertStatus.ACTUAL, settings=settings)
    assert (err.value.segments, err.value.max_segments, err.value.excess) == (3, 2, 400 - 2 * 153)
    assert "3 SMS" in str(err.value) and "maximum est 2" in str(err.value) and "94 caractères" in str(err.value)


def test_too_long_because_of_ucs2_says_which_characters() -> None:
    settings = TextSettings(max_segments=1, policy="exact", signature="")
    with pytest.raises(TextTooLongError) as err:
        compose("fenêtre " * 10, "", status=AlertStatus.ACTUAL, settings=settings)
    assert "UCS-2" in str(err.value) and "'ê'" in str(err.value)


def test_exactly_at_the_limit_is_accepted() -> None:
    got = compose("a" * 153 * 6, "", status=AlertStatus.ACTUAL, settings=TEXT)
    assert got.segments == 6


def test_empty_french_text_is_refused() -> None:
    with pytest.raises(InvalidAlertError):
        compose("   ", "English only", status=AlertStatus.ACTUAL, settings=TEXT)


def test_unprintable_characters_are_refused_per_field() -> None:
    with pytest.raises(UnprintableTextError) as caught:
        compose("Vol", "Theft\x1b[0m", status=AlertStatus.ACTUAL, settings=TEXT)
    assert (caught.value.field, caught.value.position, caught.value.char) == ("text_en", 6, "\x1b")
    with pytest.raises(UnprintableTextError):
        check_length("Panne\u2066", TEXT)


def test_crlf_becomes_lf_before_counting() -> None:
    got = compose("Vol\r\nrue Kennedy", "", status=AlertStatus.ACTUAL, settings=TEXT)
    assert got.text == "Vol\nrue Kennedy" and got.length == 15


def test_folding_only_when_the_result_fits_gsm7_and_the_changes_are_listed() -> None:
    folded = compose("« Vol » à l’étalage", "", status=AlertStatus.ACTUAL, settings=TEXT)
    assert (folded.encoding, folded.text) == ("gsm7", '" Vol " à l\'étalage')
    assert folded.folded == (("«", '"'), ("»", '"'), ("’", "'"))
    # An emoji needs UCS-2 whatever is folded: the text goes exact, accents and quotes kept.
    exact = compose("« Vol » à l’étalage, forêt 🚨", "", status=AlertStatus.ACTUAL, settings=TEXT)
    assert (exact.encoding, exact.text, exact.folded) == ("ucs2", "« Vol » à l’étalage, forêt 🚨", ())


def test_a_campaign_text_follows_the_same_rule() -> None:
    with pytest.raises(UnprintableTextError) as caught:
        custom_text("Réinscription", "Re-registration\x85", TEXT)
    assert caught.value.field == "text_en"
    assert custom_text("Réinscriptions ouvertes – CCISM", "", TEXT) == "Réinscriptions ouvertes - CCISM"


def test_a_member_name_with_a_control_character_is_left_out_of_the_reminder() -> None:
    text = reminder_text("Bijoux\x07Caraïbes", date(2027, 1, 31), TEXT)
    assert "votre commerce" in text and "\x07" not in text
