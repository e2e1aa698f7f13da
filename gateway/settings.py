"""The gateway's configuration: one object built at start-up from a TOML file and ``VIGI_…`` variables.

Nothing reads the environment at import time. ``load_settings`` is the only entry point; it turns every
problem (TOML syntax, unknown key, wrong type, inconsistent values) into a ``ConfigError`` whose message names
the key and says what to do.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.printable import printable

DEFAULT_CONFIG_PATH = Path("/etc/vigicommerce/gateway.toml")
DEFAULT_DB_URL = "sqlite:////var/lib/vigicommerce/gateway.db"
# The ARCEP block reserved for fiction: demo data and tests only ever use it.
FICTION_BLOCK = "+33639980000-+33639989999"


PriorityName = Literal["alert", "operational", "reminder"]


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and the fix."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModemSettings(_Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="short name used in logs and the API")
    device: str = Field(description="serial device, preferably /dev/serial/by-id/… or a udev symlink")
    baudrate: int = Field(115200, gt=0)
    pin: str | None = Field(None, pattern=r"^[0-9]{4,8}$")
    smsc: str | None = Field(None, description="SMSC number override, E.164")
    rtscts: bool = False
    dsrdtr: bool = False
    xonxoff: bool = False
    command_timeout: float = Field(10.0, gt=0)
    submit_timeout: float = Field(120.0, gt=0, description="AT+CMGS can take up to 120 s on real modems")
    per_minute: int = Field(20, ge=1)
    per_hour: int = Field(600, ge=1)
    per_day: int = Field(5000, ge=1)
    budget_messages_per_day: int | None = Field(None, ge=1)
    budget_recipients_per_month: int | None = Field(None, ge=1)
    enabled: bool = True


class DatabaseSettings(_Section):
    url: str = DEFAULT_DB_URL
    auto_migrate: bool = Field(True, description="migrate an older schema at start-up, else refuse to start")


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    require_tokens: bool = True
    max_body_bytes: int = Field(256 * 1024, ge=1024)


class DispatchSettings(_Section):
    batch_size: int = Field(10, ge=1, le=500)
    use_cmms: bool = True
    stale_claim_seconds: float = Field(300.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    retry_initial_seconds: float = Field(30.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    late_result_window_seconds: float = Field(600.0, ge=0)
    report_match_window_hours: float = Field(72.0, gt=0)
    overall_per_minute: int | None = Field(None, ge=1)
    reopen_initial_seconds: float = Field(1.0, gt=0)
    reopen_max_seconds: float = Field(60.0, gt=0)
    resend_ambiguous: list[PriorityName] = Field(
        default_factory=lambda: list[PriorityName](["alert"]),
        description="priorities sent again at once on another modem when a submit's outcome is unknown",
    )
    sick_after_same_failures: int = Field(
        3, ge=1, description="the same refusal on this many messages in a row takes a modem out of service"
    )
    device_poll_seconds: float = Field(0.25, gt=0, le=5, description="how often an absent modem's path is looked at")
    budget_warn_fraction: float = Field(0.8, gt=0, le=1)
    stop_timeout_seconds: float = Field(30.0, gt=0)
    wake_socket: str | None = Field(None, description="Unix socket the CLI pokes after queueing messages")


class HoursSettings(_Section):
    timezone: str = "America/Marigot"
    daytime_start: time = time(8, 0)
    daytime_end: time = time(20, 0)

    @model_validator(mode="after")
    def _ordered(self) -> HoursSettings:
        if self.daytime_start >= self.daytime_end:
            raise ValueError("daytime_start must be before daytime_end (e.g. 08:00 and 20:00)")
        return self


class TextSettings(_Section):
    policy: Literal["exact", "gsm-folded"] = "gsm-folded"
    max_segments: int = Field(6, ge=1, le=20)
    template: str = "{fr}\n---\n{en}"
    exercise_prefix_fr: str = "EXERCICE"
    exercise_prefix_en: str = "EXERCISE"

    @field_validator("template", "exercise_prefix_fr", "exercise_prefix_en")
    @classmethod
    def _printable(cls, value: str) -> str:
        # These go into every alert: the same rule as the texts operators type (gateway.printable).
        return printable(value)


class RegistrySettings(_Section):
    registration_years: int = Field(3, ge=1, le=10)
    default_region: str = "MF"
    test_ranges: list[str] = Field(default_factory=lambda: [FICTION_BLOCK])

    @field_validator("test_ranges")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for item in value:
            low, sep, high = item.partition("-")
            if (
                not sep
                or not low.startswith("+")
                or not high.startswith("+")
                or not (low[1:].isdigit() and high[1:].isdigit() and len(low) == len(high) and low <= high)
            ):
                raise ValueError(f"« {item} » : écrivez une plage E.164 comme +33639980000-+33639989999")
        return value

    def ranges(self) -> tuple[tuple[str, str], ...]:
        """The test ranges as (low, high) pairs, as the register's phone parser takes them."""
        return tuple((low, high) for low, _, high in (r.partition("-") for r in self.test_ranges))


class CampaignSettings(_Section):
    reminder_days: list[int] = Field(default_factory=lambda: [60, 30, 7])
    daily_job_time: time = time(6, 0)
    retention_days: int = Field(365, ge=1)


class InboxSettings(_Section):
    incomplete_after_minutes: float = Field(
        30.0, gt=0, description="a concatenated reply still missing parts after this long is shown as it is"
    )


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


_toml_data: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("_toml_data")


class Settings(BaseSettings):
    """Every setting of the gateway. Environment: ``VIGI_SECTION__KEY`` (e.g. ``VIGI_HTTP__PORT=8081``)."""

    model_config = SettingsConfigDict(env_prefix="VIGI_", env_nested_delimiter="__", extra="forbid", frozen=True)

    station: str = "saint-martin"
    operator_numbers: list[str] = Field(default_factory=list, description="numbers for status=test alerts")
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    modems: list[ModemSettings] = Field(default_factory=list)
    dispatch: DispatchSettings = DispatchSettings()
    hours: HoursSettings = HoursSettings()
    text: TextSettings = TextSettings()
    registry: RegistrySettings = RegistrySettings()
    campaigns: CampaignSettings = CampaignSettings()
    inbox: InboxSettings = InboxSettings()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="after")
    def _unique_modems(self) -> Settings:
        ids = [m.id for m in self.modems]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"modem ids must be unique; repeated: {', '.join(dupes)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then VIGI_ variables, then the TOML file.
        return (init_settings, env_settings, InitSettingsSource(settings_cls, _toml_data.get({})))


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(file)"
        if item["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown key; check its spelling against systemd/gateway.example.toml")
        else:
            lines.append(f"{key}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from ``path`` (or ``$VIGI_CONFIG``, or the default path if it exists).

    ``overrides`` take precedence over everything (tests, ``make run``).
    """
    if path is None and os.environ.get("VIGI_CONFIG"):
        path = Path(os.environ["VIGI_CONFIG"])
    data: dict[str, Any] = {}
    if path is not None or DEFAULT_CONFIG_PATH.exists():
        source = path or DEFAULT_CONFIG_PATH
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{source}: no such configuration file; copy systemd/gateway.example.toml") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    token = _toml_data.set(data)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        where = f"{path or DEFAULT_CONFIG_PATH}: " if data else ""
        raise ConfigError(f"{where}invalid configuration:\n{_describe(exc)}") from exc
    finally:
        _toml_data.reset(token)
