"""The reload rule (issue 14): what a change in the file does to a running gateway, key by key, as a table.

The configurations are read from TOML as the daemon reads them, so a row says what an operator edits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.settings import PortSettings
from gateway.dispatch.changes import ModemChanges, modem_changes
from gateway.dispatch.ratelimit import ModemLimits
from gateway.dispatch.settings import ModemSettings, SimBudget
from gateway.reload import RELOADABLE, is_reloadable, plan_reload
from gateway.settings import Settings, load_config

MODEMS = (
    '[[modems]]\nid = "m0"\ndevice = "/dev/a"\n'
    '[[modems]]\nid = "m1"\ndevice = "/dev/b"\npin = "1234"\n'
    '[[modems]]\nid = "m2"\ndevice = "/dev/c"\nenabled = false\n'
)


def config_of(tmp_path: Path, text: str, name: str) -> object:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


# (what the operator changes in the file, keys applied, keys refused)
ROWS = [
    ("", (), ()),
    ('[text]\npolicy = "exact"\n', ("text.policy",), ()),
    ('[text]\ntemplate = "{fr} / {en}"\nmax_segments = 3\n', ("text.max_segments", "text.template"), ()),
    (
        "[hours]\ndaytime_start = 07:00:00\ndaytime_end = 01:00:00\n",
        ("hours.daytime_start", "hours.daytime_end"),
        (),
    ),
    ('[hours]\ntimezone = "America/Guadeloupe"\n', (), ("hours.timezone",)),
    ('[logging]\nlevel = "DEBUG"\n', ("logging.level",), ()),
    (
        "[dispatch]\noverall_per_minute = 30\nbudget_warn_fraction = 0.5\n",
        ("dispatch.overall_per_minute", "dispatch.budget_warn_fraction"),
        (),
    ),
    ("[dispatch]\nbatch_size = 3\n", (), ("dispatch.batch_size",)),
    ("[http]\nport = 8081\n", (), ("http.port",)),
    ('[http]\nhost = "::1"\nrequire_tokens = false\n', (), ("http.host", "http.require_tokens")),
    ('[database]\nurl = "postgresql+psycopg://vigi:s3cret@db/vigi"\n', (), ("database.url",)),
    ('operator_numbers = ["+33639980001"]\nstation = "x"\n', (), ("station", "operator_numbers")),
    (
        "[registry]\nregistration_years = 2\n[campaigns]\nretention_days = 30\n[inbox]\nincomplete_after_minutes = 5\n",
        (),
        ("registry.registration_years", "campaigns.retention_days", "inbox.incomplete_after_minutes"),
    ),
]


@pytest.mark.parametrize(("extra", "applied", "refused"), ROWS, ids=[r[0][:40] or "nothing" for r in ROWS])
def test_plan(tmp_path: Path, extra: str, applied: tuple[str, ...], refused: tuple[str, ...]) -> None:
    running = config_of(tmp_path, MODEMS, "running")
    wanted = config_of(tmp_path, extra + MODEMS, "wanted")
    plan = plan_reload(running, wanted)  # type: ignore[arg-type]
    assert tuple(sorted(plan.applied)) == tuple(sorted(applied))
    assert tuple(sorted(r.key for r in plan.refused)) == tuple(sorted(refused))
    assert not plan.modems  # the modems did not change in these rows
    assert plan.config == (wanted if not refused else plan.config)
    assert (plan.config == running) == (not applied)


def test_refused_keys_keep_the_running_value_and_applied_ones_take_the_new(tmp_path: Path) -> None:
    running = config_of(tmp_path, MODEMS, "running")
    wanted = config_of(
        tmp_path,
        "[dispatch]\nbatch_size = 3\noverall_per_minute = 30\n"
        '[hours]\ntimezone = "America/Guadeloupe"\ndaytime_start = 09:00:00\n'
        '[http]\nport = 8081\n[text]\npolicy = "exact"\n' + MODEMS,
        "wanted",
    )
    plan = plan_reload(running, wanted)  # type: ignore[arg-type]
    config = plan.config
    assert config.dispatch.batch_size == 10 and config.dispatch.overall_per_minute == 30
    assert config.hours.tz.key == "America/Marigot" and config.hours.start.hour == 9
    assert config.http.port == 8080 and config.text.policy == "exact"
    assert {r.key: (r.running, r.wanted) for r in plan.refused} == {
        "dispatch.batch_size": ("10", "3"),
        "hours.timezone": ("America/Marigot", "America/Guadeloupe"),
        "http.port": ("8080", "8081"),
    }
    assert plan.dispatcher_changed and not plan.log_level_changed


def test_a_refused_database_url_is_logged_without_its_password(tmp_path: Path) -> None:
    running = config_of(tmp_path, '[database]\nurl = "postgresql+psycopg://vigi:old-pass@db/vigi"\n', "running")
    wanted = config_of(tmp_path, '[database]\nurl = "postgresql+psycopg://vigi:new-pass@db2/vigi"\n', "wanted")
    (refused,) = plan_reload(running, wanted).refused  # type: ignore[arg-type]
    assert "pass" not in refused.running + refused.wanted
    assert refused.wanted == "postgresql+psycopg://vigi:***@db2/vigi"


def test_nothing_changed_means_nothing_to_do(tmp_path: Path) -> None:
    config = config_of(tmp_path, MODEMS, "running")
    plan = plan_reload(config, config)  # type: ignore[arg-type]
    assert plan.describe() == "nothing" and not plan.dispatcher_changed and plan.config == config


def test_the_reloadable_keys_are_keys_of_the_file() -> None:
    """A misspelt key in the rule would silently make a setting need a restart."""
    shown = Settings().shown()
    keys = {f"{name}.{key}" for name, value in shown.items() if isinstance(value, dict) for key in value}
    keys |= {name for name, value in shown.items() if not isinstance(value, dict)}
    for key in RELOADABLE:
        assert key in keys or (key.endswith(".*") and key[:-2] in shown), key
    assert is_reloadable("text.policy") and is_reloadable("text.signature")  # issue 11's keys will be too
    assert not is_reloadable("http.port") and not is_reloadable("hours.timezone")


def modem(modem_id: str, device: str = "/dev/a", **changes: object) -> ModemSettings:
    port = PortSettings(
        device, modem_id=modem_id, **{k: v for k, v in changes.items() if k in {"pin", "submit_timeout"}}
    )
    return ModemSettings(
        id=modem_id,
        port=port,
        limits=changes.get("limits", ModemLimits(20, 600, 5000)),  # type: ignore[arg-type]
        budget=changes.get("budget", SimBudget()),  # type: ignore[arg-type]
        enabled=bool(changes.get("enabled", True)),
    )


A, B, C = modem("a"), modem("b", "/dev/b"), modem("c", "/dev/c")
MODEM_ROWS = [
    ("same list", [A, B], [A, B], ModemChanges()),
    ("order only", [A, B], [B, A], ModemChanges()),
    ("added", [A], [A, B], ModemChanges(start=(B,))),
    ("removed", [A, B], [A], ModemChanges(stop=("b",))),
    ("disabled", [A, B], [A, modem("b", "/dev/b", enabled=False)], ModemChanges(stop=("b",))),
    ("enabled", [A, modem("b", "/dev/b", enabled=False)], [A, B], ModemChanges(start=(B,))),
    ("disabled stays disabled", [modem("b", enabled=False)], [modem("b", "/dev/x", enabled=False)], ModemChanges()),
    (
        "device changed",
        [A, B],
        [A, modem("b", "/dev/b2")],
        ModemChanges(reopen=(modem("b", "/dev/b2"),), reasons=(("b", ("device",)),)),
    ),
    (
        "pin and timeout changed",
        [A],
        [modem("a", pin="1234", submit_timeout=60.0)],
        ModemChanges(
            reopen=(modem("a", pin="1234", submit_timeout=60.0),), reasons=(("a", ("pin", "submit_timeout")),)
        ),
    ),
    (
        "limits only",
        [A, B],
        [modem("a", limits=ModemLimits(2, 60, 100)), B],
        ModemChanges(retune=(modem("a", limits=ModemLimits(2, 60, 100)),)),
    ),
    (
        "budget only",
        [A],
        [modem("a", budget=SimBudget(100, 50))],
        ModemChanges(retune=(modem("a", budget=SimBudget(100, 50)),)),
    ),
    (
        "one of each",
        [A, B],
        [modem("a", limits=ModemLimits(1, 1, 1)), C],
        ModemChanges(stop=("b",), start=(C,), retune=(modem("a", limits=ModemLimits(1, 1, 1)),)),
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), [r[1:] for r in MODEM_ROWS], ids=[r[0] for r in MODEM_ROWS])
def test_modem_changes(old: list[ModemSettings], new: list[ModemSettings], expected: ModemChanges) -> None:
    assert modem_changes(old, new) == expected


def test_a_changed_pin_is_named_never_shown() -> None:
    changes = modem_changes([modem("a", pin="1111")], [modem("a", pin="2222")])
    assert changes.describe() == "a reopened (pin)"
    assert "1111" not in changes.describe() and "2222" not in changes.describe()
