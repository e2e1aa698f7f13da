"""Alert templates: every shipped template renders in both languages and fits 2 GSM-7 SMS with the signature, the
longest place names of Saint-Martin and a 40-character detail; fields are checked by name; a station's file
overrides by id; a broken file is refused like a broken configuration."""

from __future__ import annotations

import csv
import dataclasses
import re
import statistics
from pathlib import Path

import pytest

from drivers.text import analyse
from gateway.alerts.compose import compose
from gateway.alerts.errors import (
    InvalidFieldError,
    MissingFieldError,
    TemplateFileError,
    UnknownFieldError,
    UnknownTemplateError,
)
from gateway.alerts.models import AlertStatus
from gateway.alerts.settings import DEFAULT_SIGNATURE, TextSettings
from gateway.alerts.templates import Template, load_templates, package_templates, render
from gateway.printable import printable

DATA = Path(__file__).resolve().parents[2] / "data"


def column(file: str, name: str) -> list[str]:
    text = (DATA / file).read_text(encoding="utf-8")
    return [row[name] for row in csv.DictReader(text.splitlines())]


STREETS = column("streets.csv", "street")
ZONES = column("zones.csv", "name")
DETAIL_40 = "2 individus, scooter noir, casques blancs"[:40].ljust(40, ".")
TEMPLATES = package_templates()
IDS = [t.id for t in TEMPLATES]


def longest(names: list[str]) -> str:
    return max(names, key=len)


def median_length(names: list[str]) -> str:
    middle = statistics.median_low(len(n) for n in names)
    return next(n for n in names if len(n) == middle)


def fields_for(template: Template, rue: str, quartier: str) -> dict[str, str]:
    sample = {"rue": rue, "quartier": quartier, "heure": "23h45", "detail": DETAIL_40}
    assert set(template.fields) <= set(sample), f"{template.id}: a field with no sample value"
    return {name: sample[name] for name in template.fields}


def test_the_issue_s_templates_are_all_there() -> None:
    labels = {t.label for t in TEMPLATES}
    for wanted in (
        "Vol à main armée",
        "Vol à l'arraché",
        "Cambriolages en série",
        "Escroquerie aux faux billets",
        "Escroquerie au faux policier ou faux agent",
        "Individus suspects en repérage",
        "Véhicule suspect",
        "Rixe ou violences sur la voie publique",
        "Fin d'alerte",
        "Mise à jour",
        "Cyclone : risque de pillage",
    ):
        assert wanted in labels
    kinds = {t.id: t.kind for t in TEMPLATES}
    assert kinds["fin-alerte"] == "cancel" and kinds["mise-a-jour"] == "update"
    assert len(DETAIL_40) == 40


@pytest.mark.parametrize("template_id", IDS)
@pytest.mark.parametrize("policy", ["gsm-folded", "exact"])
def test_every_template_fits_two_gsm7_sms_with_signature_and_a_40_character_detail(
    template_id: str, policy: str
) -> None:
    """What the member receives, worst case: the signature, the longest street and quartier, a 40-character
    detail, both languages; in the GSM alphabet even when sent exactly as written."""
    template = next(t for t in TEMPLATES if t.id == template_id)
    settings = dataclasses.replace(TextSettings(), policy=policy)  # type: ignore[arg-type]
    rendered = render(template, fields_for(template, longest(STREETS), longest(ZONES)))
    sms = compose(rendered.text_fr, rendered.text_en, status=AlertStatus.ACTUAL, settings=settings)
    assert sms.encoding == "gsm7", sms.ucs2_forced_by
    assert sms.segments <= 2, f"{sms.length} septets"
    assert sms.text.startswith(DEFAULT_SIGNATURE + " ")
    french, english = sms.text.split("\n---\n")
    assert DETAIL_40 in french or "{detail}" not in template.fr
    assert DETAIL_40 in english or "{detail}" not in template.en
    assert "{" not in sms.text and "}" not in sms.text
    # No control character but the line breaks the separator puts between the languages.
    assert printable(sms.text) == sms.text
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", sms.text)
    assert sms.text.count("\n") == 2


@pytest.mark.parametrize("template_id", IDS)
def test_an_exercise_fits_two_sms_with_places_of_median_length(template_id: str) -> None:
    """EXERCICE/EXERCISE add 22 characters: with typical names an exercise costs what the real alert would."""
    template = next(t for t in TEMPLATES if t.id == template_id)
    rendered = render(template, fields_for(template, median_length(STREETS), median_length(ZONES)))
    sms = compose(rendered.text_fr, rendered.text_en, status=AlertStatus.EXERCISE, settings=TextSettings())
    assert sms.text.startswith(f"{DEFAULT_SIGNATURE} EXERCICE - ")
    assert "\n---\nEXERCISE - " in sms.text
    assert (sms.encoding, sms.segments <= 2) == ("gsm7", True)


def test_the_default_signature_is_gsm7() -> None:
    assert analyse(DEFAULT_SIGNATURE, "exact").encoding == "gsm7"


@pytest.mark.parametrize("template_id", IDS)
def test_a_missing_field_is_refused_by_name(template_id: str) -> None:
    template = next(t for t in TEMPLATES if t.id == template_id)
    fields = fields_for(template, "Rue de Hollande", "Marigot")
    dropped = template.fields[-1]
    del fields[dropped]
    with pytest.raises(MissingFieldError) as caught:
        render(template, fields)
    assert caught.value.fields == (dropped,)
    assert dropped in str(caught.value) and template_id in str(caught.value)


def test_defaults_fill_what_the_operator_did_not_give_and_given_fields_win() -> None:
    template = TextSettings().templates.get("vol-arrache")
    defaults = {"rue": "Rue de Hollande", "quartier": "Marigot", "heure": "03h10"}
    rendered = render(template, {"detail": "deux hommes", "heure": "02h55"}, defaults)
    assert rendered.text_fr.startswith("Vol à l'arraché Rue de Hollande, Marigot, 02h55. deux hommes.")
    expected = {"rue": "Rue de Hollande", "quartier": "Marigot", "heure": "02h55", "detail": "deux hommes"}
    assert dict(rendered.values) == expected
    with pytest.raises(MissingFieldError) as caught:
        render(template, {}, {"rue": "Rue de Hollande", "quartier": " "})
    assert caught.value.fields == ("quartier", "heure", "detail")


def test_an_english_value_goes_to_the_english_text_only() -> None:
    template = TextSettings().templates.get("vol-arrache")
    given = {"rue": "Rue Kennedy", "quartier": "Marigot", "heure": "03h10"}
    rendered = render(template, {**given, "detail": "deux hommes", "detail_en": "two men"})
    assert "deux hommes" in rendered.text_fr and "two men" not in rendered.text_fr
    assert "two men" in rendered.text_en and "deux hommes" not in rendered.text_en


def test_unknown_and_unprintable_fields_are_refused() -> None:
    template = TextSettings().templates.get("cambriolages")
    with pytest.raises(UnknownFieldError) as unknown:
        render(template, {"quartier": "Marigot", "deatil": "x"})
    assert "deatil" in str(unknown.value) and "detail" in str(unknown.value)
    with pytest.raises(InvalidFieldError) as control:
        render(template, {"quartier": "Marigot", "detail": "vol\x00nul"})
    assert control.value.field == "detail" and "U+0000" in str(control.value)
    with pytest.raises(InvalidFieldError):
        render(template, {"quartier": "Marigot", "detail": "deux\nlignes"})


def test_a_value_is_substituted_as_typed_even_with_braces() -> None:
    template = TextSettings().templates.get("cambriolages")
    rendered = render(template, {"quartier": "{detail}", "detail": "porte {fr}"})
    assert "secteur {detail}. porte {fr}." in rendered.text_fr


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(UnknownTemplateError) as caught:
        TextSettings().templates.get("vol-a-l-arrache")
    assert "vol-arrache" in str(caught.value)
    assert TextSettings().templates.get(" Vol-Arrache ").id == "vol-arrache"


def test_a_station_file_overrides_by_id_and_adds(tmp_path: Path) -> None:
    station = tmp_path / "templates.toml"
    station.write_text(
        '[[templates]]\nid = "rixe"\nlabel = "Rixe"\nfr = "Rixe {rue}. {detail}."\nen = "Fight {rue}. {detail}."\n\n'
        '[[templates]]\nid = "incendie"\nlabel = "Incendie"\nfr = "Incendie {quartier}."\nen = "Fire {quartier}."\n',
        encoding="utf-8",
    )
    loaded = load_templates(str(station))
    ids = [t.id for t in loaded]
    assert ids == [*IDS, "incendie"]  # the replaced template keeps its place in the picker
    assert loaded.get("rixe").fr == "Rixe {rue}. {detail}."
    assert loaded.sources[-1] == str(station)
    assert [t.id for t in load_templates(str(tmp_path / "absent.toml"))] == IDS


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[templates]]\nid = "x"\nlabel = "X"\nfr = "a {rue"\nen = "b"\n', "accolade"),
        ('[[templates]]\nid = "X y"\nlabel = "X"\nfr = "a"\nen = "b"\n', "id"),
        ('[[templates]]\nid = "x"\nlabel = "X"\nfr = "a\\u0007"\nen = "b"\n', "U+0007"),
        ('[[templates]]\nid = "x"\nlabel = "X"\nfr = "a"\n', "texte en"),
        ('[[templates]]\nid = "x"\nlabel = "X"\ntype = "alarm"\nfr = "a"\nen = "b"\n', "type"),
        ('[[templates]]\nid = "x"\nlabel = "X"\nfr = "a"\nen = "b"\ncolour = 1\n', "colour"),
        ("[[templates]\n", "TOML"),
    ],
)
def test_a_broken_station_file_is_refused_with_what_to_fix(tmp_path: Path, body: str, expected: str) -> None:
    station = tmp_path / "templates.toml"
    station.write_text(body, encoding="utf-8")
    with pytest.raises(TemplateFileError) as caught:
        load_templates(str(station))
    assert expected in str(caught.value) and str(station) in str(caught.value)


def test_no_signature_when_configured_empty() -> None:
    settings = dataclasses.replace(TextSettings(), signature="")
    sms = compose("Vol", "Theft", status=AlertStatus.ACTUAL, settings=settings)
    assert sms.text == "Vol\n---\nTheft"


def test_test_alerts_keep_their_prefix_after_the_signature() -> None:
    sms = compose("Essai", "Trial", status=AlertStatus.TEST, settings=TextSettings())
    assert sms.text == f"{DEFAULT_SIGNATURE} TEST - Essai\n---\nTEST - Trial"
