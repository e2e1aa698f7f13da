from pathlib import Path

import pytest

from gateway.settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings.http.host == "127.0.0.1"
    assert settings.registry.registration_years == 3
    assert settings.hours.timezone == "America/Marigot"
    assert settings.registry.test_ranges == ["+33639980000-+33639989999"]


def test_file_then_environment_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, '[http]\nport = 9000\nhost = "127.0.0.2"\n[[modems]]\nid = "m1"\ndevice = "/dev/ttyUSB0"\n')
    monkeypatch.setenv("VIGI_HTTP__PORT", "9100")
    settings = load_settings(path)
    assert settings.http.port == 9100  # environment wins
    assert settings.http.host == "127.0.0.2"  # the file's other keys stay
    assert settings.modems[0].device == "/dev/ttyUSB0"
    assert settings.modems[0].rtscts is False


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"http\.prot: unknown key"):
        load_settings(write(tmp_path, "[http]\nprot = 3\n"))


def test_bad_value_names_key_and_value(tmp_path: Path) -> None:
    text = '[[modems]]\nid = "m1"\ndevice = "/dev/x"\nper_minute = 0\n'
    with pytest.raises(ConfigError, match=r"modems\.0\.per_minute: .*greater than or equal to 1 \(got 0\)"):
        load_settings(write(tmp_path, text))


def test_duplicate_modem_ids(tmp_path: Path) -> None:
    text = '[[modems]]\nid = "m1"\ndevice = "/dev/a"\n[[modems]]\nid = "m1"\ndevice = "/dev/b"\n'
    with pytest.raises(ConfigError, match="repeated: m1"):
        load_settings(write(tmp_path, text))


def test_toml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[http\nport = 1\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "absent.toml")


def test_daytime_window_must_be_ordered(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="daytime_start must be before daytime_end"):
        load_settings(write(tmp_path, "[hours]\ndaytime_start = 20:00:00\ndaytime_end = 08:00:00\n"))


def test_bad_test_range(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plage E\.164"):
        load_settings(write(tmp_path, '[registry]\ntest_ranges = ["33639980000"]\n'))


def test_config_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGI_CONFIG", str(write(tmp_path, 'station = "test-station"\n')))
    assert load_settings().station == "test-station"


def test_template_with_a_control_character_is_refused(tmp_path: Path) -> None:
    text = '[text]\ntemplate = "{fr}\\u001b{en}"\n'
    with pytest.raises(ConfigError, match=r"text\.template: .*U\+001B ESC"):
        load_settings(write(tmp_path, text))
