"""The configuration file's schema: precedence, errors that name the key in French, the checks of issue 10 (point 9),
and the packages' plain values it builds."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from drivers.settings import PortSettings
from gateway.alerts.settings import TextSettings
from gateway.config import GatewayConfig
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.ratelimit import ModemLimits
from gateway.dispatch.settings import ModemSettings, SimBudget
from gateway.settings import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_config, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_file_gives_every_package_its_own_defaults(tmp_path: Path) -> None:
    """The schema's defaults are the packages' defaults: one source, no drift."""
    assert load_config(write(tmp_path, "")) == GatewayConfig()
    settings = load_settings(write(tmp_path, ""))
    assert settings.hours.timezone == "America/Marigot"
    assert settings.registry.test_ranges == ["+33639980000-+33639989999"]


def test_the_file_becomes_plain_values(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[[modems]]\nid = "m1"\ndevice = "/dev/ttyUSB0"\npin = "1234"\nper_minute = 5\n'
            "budget_recipients_per_month = 250\n"
            '[text]\npolicy = "exact"\n[hours]\ndaytime_start = 09:00:00\ndaytime_end = 18:30:00\n'
            "[inbox]\nincomplete_after_minutes = 2.5\n",
        )
    )
    assert config.modems == (
        ModemSettings(
            id="m1",
            port=PortSettings("/dev/ttyUSB0", modem_id="m1", pin="1234"),
            limits=ModemLimits(5, 600, 5000),
            budget=SimBudget(recipients_per_month=250),
        ),
    )
    assert config.text == TextSettings(policy="exact")
    assert config.hours == DaytimeWindow(time(9, 0), time(18, 30), ZoneInfo("America/Marigot"))
    assert config.inbox.incomplete_after == timedelta(minutes=2.5)


def test_file_then_environment_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, '[http]\nport = 9000\nhost = "127.0.0.2"\n[[modems]]\nid = "m1"\ndevice = "/dev/ttyUSB0"\n')
    monkeypatch.setenv("VIGI_HTTP__PORT", "9100")
    settings = load_settings(path)
    assert settings.http.port == 9100  # environment wins
    assert settings.http.host == "127.0.0.2"  # the file's other keys stay
    assert settings.modems[0].device == "/dev/ttyUSB0"
    assert settings.modems[0].rtscts is False


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"http\.prot : clé inconnue"):
        load_settings(write(tmp_path, "[http]\nprot = 3\n"))


def test_bad_value_names_key_and_value_in_french_without_python_reprs(tmp_path: Path) -> None:
    text = '[[modems]]\nid = "m 1"\ndevice = "/dev/x"\nper_minute = 0\n[text]\npolicy = "utf8"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert "modems.0.per_minute : doit être supérieur ou égal à 1 (valeur : 0)" in message
    assert "modems.0.id : doit être de 1 à 32 lettres sans accent" in message and "(valeur : « m 1 »)" in message
    assert "text.policy : doit être l'une de ces valeurs : « exact », « gsm-folded » (valeur : « utf8 »)" in message
    assert "Input should" not in message and "(got" not in message


def test_duplicate_modem_ids(tmp_path: Path) -> None:
    text = '[[modems]]\nid = "m1"\ndevice = "/dev/a"\n[[modems]]\nid = "m1"\ndevice = "/dev/b"\n'
    with pytest.raises(ConfigError, match="répété : m1"):
        load_settings(write(tmp_path, text))


def test_toml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ce n'est pas du TOML valide"):
        load_settings(write(tmp_path, "[http\nport = 1\n"))


def test_no_file_at_the_given_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml : fichier de configuration introuvable ; copiez"):
        load_settings(tmp_path / "absent.toml")


def test_no_file_at_the_default_path_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGI_CONFIG", raising=False)
    assert not DEFAULT_CONFIG_PATH.exists()  # this machine is no station
    with pytest.raises(ConfigError, match=f"{DEFAULT_CONFIG_PATH} : fichier de configuration introuvable"):
        load_settings()


def test_an_empty_daytime_window_is_refused_with_the_code_s_own_message(tmp_path: Path) -> None:
    text = "[hours]\ndaytime_start = 08:00:00\ndaytime_end = 08:00:00\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    with pytest.raises(ValueError) as direct:
        DaytimeWindow(time(8), time(8))
    assert f"hours : {direct.value}" in str(caught.value)


def test_a_daytime_window_across_midnight_is_accepted(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[hours]\ndaytime_start = 22:00:00\ndaytime_end = 06:00:00\n"))
    assert config.hours.start == time(22) and config.hours.end == time(6)


def test_bad_test_range(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plage E\.164"):
        load_settings(write(tmp_path, '[registry]\ntest_ranges = ["33639980000"]\n'))


def test_config_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGI_CONFIG", str(write(tmp_path, 'station = "test-station"\n')))
    assert load_settings().station == "test-station"


def test_the_defaults_of_the_schema_are_those_of_the_packages() -> None:
    assert Settings().build() == GatewayConfig()


def test_the_configuration_reads_the_templates_file_and_refuses_a_broken_one(tmp_path: Path) -> None:
    station = tmp_path / "templates.toml"
    station.write_text('[[templates]]\nid = "incendie"\nlabel = "Incendie"\nfr = "Feu {quartier}."\nen = "Fire."\n')
    config = tmp_path / "gateway.toml"
    config.write_text(f'[text]\ntemplates_file = "{station}"\nsignature = "Gendarmerie :"\n', encoding="utf-8")
    loaded = load_config(config).text
    assert loaded.templates.get("incendie").label == "Incendie"
    assert loaded.signature == "Gendarmerie :"
    station.write_text('[[templates]]\nid = "incendie"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "text.templates_file" in str(caught.value) and "incendie" in str(caught.value)


def test_template_with_a_control_character_is_refused(tmp_path: Path) -> None:
    text = '[text]\ntemplate = "{fr}\\u001b{en}"\n'
    with pytest.raises(ConfigError, match=r"text\.template : caractère interdit en position 5 : U\+001B ESC"):
        load_settings(write(tmp_path, text))
