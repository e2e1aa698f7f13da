"""The one resolver of zone, street and category names: ids or display names, any case or accents, with a
suggestion on a near miss."""

from __future__ import annotations

import pytest

from gateway.registry.errors import InvalidMemberError, UnknownReferenceError
from gateway.registry.names import NameTable, fold
from gateway.registry.reference import ReferenceIndex

ZONES = {"grand-case": "Grand-Case", "quartier-orleans": "Quartier d'Orléans", "marigot": "Marigot"}
CATEGORIES = {"hotel": "Hôtel", "cafe-bar": "Café / bar"}
STREETS = {
    ("marigot", "Rue de Hollande"): 1,
    ("grand-case", "Boulevard de Grand-Case"): 2,
    ("marigot", "Rue Kennedy"): 3,
}
INDEX = ReferenceIndex.build(ZONES, CATEGORIES, STREETS)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Grand-Case", "grand case"),
        ("  GRAND   case ", "grand case"),
        ("grand_case", "grand case"),
        ("Quartier d’Orléans", "quartier d orleans"),
        ("Hôtel", "hotel"),
        ("Café / bar", "cafe bar"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("typed", "zone_id"),
    [
        ("grand-case", "grand-case"),
        ("Grand-Case", "grand-case"),
        ("GRAND CASE", "grand-case"),
        ("quartier d'orleans", "quartier-orleans"),
        ("Quartier d’Orléans", "quartier-orleans"),
        ("quartier-orleans", "quartier-orleans"),
    ],
)
def test_zone_by_id_or_name(typed: str, zone_id: str) -> None:
    assert INDEX.check_zone(typed) == zone_id


@pytest.mark.parametrize(("typed", "category_id"), [("Hôtel", "hotel"), ("HOTEL", "hotel"), ("café/bar", "cafe-bar")])
def test_category_by_id_or_label(typed: str, category_id: str) -> None:
    assert INDEX.check_category(typed) == category_id


def test_streets_by_name_in_any_case_in_their_zone_or_everywhere() -> None:
    assert INDEX.street_id("marigot", "rue de hollande") == 1
    assert INDEX.street_ids(["RUE DE HOLLANDE", 2, "rue kennedy"]) == [1, 2, 3]
    with pytest.raises(InvalidMemberError, match="est dans la zone Marigot, pas dans Grand-Case"):
        INDEX.street_id("grand-case", "Rue de Hollande")


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (lambda: INDEX.check_zone("Grand Kase"), "zone inconnu(e) « Grand Kase » ; vouliez-vous dire « Grand-Case » ?"),
        (lambda: INDEX.check_category("Hotle"), "vouliez-vous dire « Hôtel » ?"),
        (lambda: INDEX.street_id("marigot", "rue de holande"), "vouliez-vous dire « Rue de Hollande » ?"),
        (lambda: INDEX.street_ids(["Rue Kenedy"]), "vouliez-vous dire « Rue Kennedy » ?"),
    ],
)
def test_near_miss_suggests_the_closest_name(lookup: object, message: str) -> None:
    with pytest.raises(UnknownReferenceError) as caught:
        lookup()  # type: ignore[operator]
    assert message in str(caught.value)


def test_far_miss_lists_the_names_without_guessing() -> None:
    with pytest.raises(UnknownReferenceError) as caught:
        INDEX.check_zone("Atlantide")
    assert caught.value.suggestion is None
    assert str(caught.value) == (
        "zone inconnu(e) « Atlantide » ; valeurs possibles : Grand-Case, Marigot, Quartier d'Orléans"
    )


def test_a_name_shared_by_two_ids_names_both() -> None:
    table = NameTable.build("rue", {1: "Rue Principale", 2: "Rue principale"}, ids_are_names=False)
    assert table.resolve("rue principale") == (1, 2)
