from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.sms_codec import encode_submit
from drivers.text import analyse, fold_gsm, is_gsm7


def test_plain_ascii_is_one_gsm7_segment_up_to_160() -> None:
    assert analyse("a" * 160) == analyse("a" * 160, "gsm-folded")
    info = analyse("a" * 160)
    assert (info.encoding, info.segments, info.length, info.ucs2_forced_by) == ("gsm7", 1, 160, ())
    assert analyse("a" * 161).segments == 2
    assert analyse("a" * 306).segments == 2
    assert analyse("a" * 307).segments == 3


def test_extension_characters_count_two_septets_and_are_never_split() -> None:
    assert analyse("€" * 80).segments == 1
    assert analyse("€" * 80).length == 160
    assert analyse("€" * 81).segments == 2
    # 152 plain septets then an escape pair: the pair moves to part 2 whole.
    assert analyse("a" * 152 + "€" + "a" * 151).segments == 2
    assert analyse("a" * 152 + "€" + "a" * 152).segments == 3


def test_ucs2_limits_and_surrogate_pairs() -> None:
    assert analyse("ж" * 70).segments == 1
    assert analyse("ж" * 71).segments == 2
    assert analyse("ж" * 134).segments == 2
    assert analyse("ж" * 135).segments == 3
    assert analyse("😀" * 35).length == 70
    assert analyse("😀" * 35).segments == 1
    # 66 units + a pair would straddle the 67-unit boundary: the pair goes to part 2.
    assert analyse("ж" * 66 + "😀" + "ж" * 65).segments == 2
    assert analyse("ж" * 66 + "😀" + "ж" * 66).segments == 3


def test_characters_forcing_ucs2_are_reported_once_in_order() -> None:
    info = analyse("Vol à l’étalage, rue de la Liberté – soyez prêts ’")
    assert info.encoding == "ucs2"
    assert info.ucs2_forced_by == ("’", "–", "ê")


def test_gsm_folded_keeps_gsm_accents_and_folds_the_rest() -> None:
    text = "« Vol » à l’étalage… œuvre – Forêt, maïs, garçon, où, Ça, É, ü\u00a0!"
    info = analyse(text, "gsm-folded")
    assert info.encoding == "gsm7"
    assert info.text == '" Vol " à l\'étalage... oeuvre - Foret, mais, garcon, où, Ça, É, ü !'
    assert info.ucs2_forced_by == ()


def test_folding_is_listed_pair_by_pair() -> None:
    info = analyse("l’été « chaud » – l’an", "gsm-folded")
    assert info.folded == (("’", "'"), ("«", '"'), ("»", '"'), ("–", "-"))
    assert analyse("l’été", "exact").folded == ()
    assert analyse("plain text", "gsm-folded").folded == ()


def test_gsm_folded_sends_exact_when_ucs2_is_needed_anyway() -> None:
    # Folding « » and ê gains nothing once the emoji forces UCS-2, and loses the exact wording.
    text = "« Vol » à la forêt 🚨"
    info = analyse(text, "gsm-folded")
    assert (info.text, info.encoding, info.folded) == (text, "ucs2", ())
    assert info == analyse(text, "exact")


def test_fold_leaves_meaningful_non_gsm_characters_for_ucs2() -> None:
    info = analyse("Ξ ok ж", "gsm-folded")
    assert info.encoding == "ucs2"
    assert info.ucs2_forced_by == ("ж",)
    assert fold_gsm("ж") == "ж"


def test_y_diaeresis_is_not_gsm_despite_the_library_table() -> None:
    assert not is_gsm7("ÿ")
    assert analyse("ÿ").encoding == "ucs2"
    assert analyse("ÿ", "gsm-folded").text == "y"


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="policy"):
        analyse("x", "loose")  # type: ignore[arg-type]


_bmp_text = st.text(alphabet=st.sampled_from(list("abcXYZ 019,.'éèàùÇ€[]{}^~|\\\n") + list("жΞ’«»œê")), max_size=400)


@given(_bmp_text)
def test_segment_count_matches_the_pdus_actually_built(text: str) -> None:
    info = analyse(text)
    pdus = encode_submit("+33639980001", info.text, concat_reference=7, smsc=None, status_report=True)
    assert len(pdus) == info.segments


_astral_text = st.text(alphabet=st.sampled_from(list("ab é€\n") + list("ж’😀🚨")), max_size=400)


@given(_astral_text, st.sampled_from(["exact", "gsm-folded"]))
def test_segment_count_matches_the_pdus_with_emojis_too(text: str, policy: str) -> None:
    info = analyse(text, policy)  # type: ignore[arg-type]
    pdus = encode_submit("+33639980001", info.text, concat_reference=7, smsc=None, status_report=True)
    assert len(pdus) == info.segments
