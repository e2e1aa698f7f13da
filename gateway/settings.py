"""The configuration file's schema: a TOML file and ``VIGI_…`` variables, validated by pydantic-settings.

Only this module, the daemon and the CLI's loader know this schema. They call :func:`load_config`, which turns the
file into a :class:`gateway.config.GatewayConfig` of plain frozen values, one per package (``TextSettings``,
``DaytimeWindow``, ``ModemSettings`` …): the packages never see pydantic. Defaults come from those values, so a
package's default and the file's default cannot differ; the schema adds the bounds and the checks.

Nothing reads the environment at import time. Every problem (no file, TOML syntax, unknown key, wrong type,
inconsistent values) becomes a :class:`ConfigError` in French that names the key and says what to write, with
secrets (database password, SIM PIN) masked.
"""

from __future__ import annotations

import contextvars
import difflib
import ipaddress
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from drivers.settings import PortSettings
from gateway.alerts.errors import TemplateFileError
from gateway.alerts.settings import TextSettings
from gateway.alerts.templates import TemplateSet, load_templates
from gateway.api.settings import HttpSettings
from gateway.campaigns.settings import CampaignSettings
from gateway.config import GatewayConfig
from gateway.console.settings import ConsoleSettings
from gateway.dispatch import settings as dispatch
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.ratelimit import ModemLimits
from gateway.dispatch.settings import DispatchSettings, ModemSettings, SimBudget
from gateway.inbox.settings import InboxSettings
from gateway.outbox.models import Priority
from gateway.printable import printable
from gateway.redact import MASK, mask_passwords
from gateway.registry.phones import FICTION_BLOCK
from gateway.registry.settings import RegistrySettings
from gateway.storage.settings import DatabaseSettings

DEFAULT_CONFIG_PATH = Path("/etc/vigicommerce/gateway.toml")
EXAMPLE = "systemd/gateway.example.toml"

_PORT, _DISPATCH, _TEXT = PortSettings(device=""), DispatchSettings(), TextSettings()
_HTTP, _DATABASE, _HOURS = HttpSettings(), DatabaseSettings(), DaytimeWindow()
_REGISTRY, _CAMPAIGNS, _INBOX, _CONFIG = RegistrySettings(), CampaignSettings(), InboxSettings(), GatewayConfig()
_CONSOLE = ConsoleSettings()


PriorityName = Literal["alert", "operational", "reminder"]


class ConfigError(Exception):
    """The configuration cannot be used; the message (French) names the key and the fix."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModemSection(_Section):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="short name used in logs and the API")
    device: str = Field(description="serial device, preferably /dev/serial/by-id/… or a udev symlink")
    baudrate: int = Field(_PORT.baudrate, gt=0)
    pin: str | None = Field(None, pattern=r"^[0-9]{4,8}$")
    smsc: str | None = Field(None, description="SMSC number override, E.164")
    rtscts: bool = _PORT.rtscts
    dsrdtr: bool = _PORT.dsrdtr
    xonxoff: bool = _PORT.xonxoff
    command_timeout: float = Field(_PORT.command_timeout, gt=0)
    submit_timeout: float = Field(_PORT.submit_timeout, gt=0, description="AT+CMGS can take up to 120 s")
    per_minute: int = Field(dispatch.DEFAULT_PER_MINUTE, ge=1)
    per_hour: int = Field(dispatch.DEFAULT_PER_HOUR, ge=1)
    per_day: int = Field(dispatch.DEFAULT_PER_DAY, ge=1)
    budget_messages_per_day: int | None = Field(None, ge=1)
    budget_recipients_per_month: int | None = Field(None, ge=1)
    enabled: bool = True

    def build(self) -> ModemSettings:
        port = PortSettings(
            device=self.device,
            modem_id=self.id,
            baudrate=self.baudrate,
            pin=self.pin,
            smsc=self.smsc,
            rtscts=self.rtscts,
            dsrdtr=self.dsrdtr,
            xonxoff=self.xonxoff,
            command_timeout=self.command_timeout,
            submit_timeout=self.submit_timeout,
        )
        return ModemSettings(
            id=self.id,
            port=port,
            limits=ModemLimits(self.per_minute, self.per_hour, self.per_day),
            budget=SimBudget(self.budget_messages_per_day, self.budget_recipients_per_month),
            enabled=self.enabled,
        )


class DatabaseSection(_Section):
    url: str = _DATABASE.url
    auto_migrate: bool = Field(_DATABASE.auto_migrate, description="migrate an older schema at start-up")


class HttpSection(_Section):
    host: str = _HTTP.host
    port: int = Field(_HTTP.port, ge=0, le=65535)
    require_tokens: bool = _HTTP.require_tokens
    max_body_bytes: int = Field(_HTTP.max_body_bytes, ge=1024)
    trusted_proxies: list[str] = Field(
        default_factory=lambda: list(_HTTP.trusted_proxies),
        description="reverse proxies (IP addresses) whose X-Forwarded-Proto/-For headers are believed",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_address(item)
            except ValueError:
                raise ValueError(f"« {item} » n'est pas une adresse IP (par exemple « 127.0.0.1 »)") from None
        return value

    @model_validator(mode="after")
    def _check(self) -> HttpSection:
        self.build()  # the rule (no listening beyond the loopback without tokens) and its message live there
        return self

    def build(self) -> HttpSettings:
        return HttpSettings(**{**self.model_dump(), "trusted_proxies": tuple(self.trusted_proxies)})


class DispatchSection(_Section):
    batch_size: int = Field(_DISPATCH.batch_size, ge=1, le=500)
    use_cmms: bool = _DISPATCH.use_cmms
    stale_claim_seconds: float = Field(_DISPATCH.stale_claim_seconds, gt=0)
    max_attempts: int = Field(_DISPATCH.max_attempts, ge=1)
    retry_initial_seconds: float = Field(_DISPATCH.retry_initial_seconds, gt=0)
    retry_max_seconds: float = Field(_DISPATCH.retry_max_seconds, gt=0)
    late_result_window_seconds: float = Field(_DISPATCH.late_result_window_seconds, ge=0)
    report_match_window_hours: float = Field(_DISPATCH.report_match_window_hours, gt=0)
    overall_per_minute: int | None = Field(_DISPATCH.overall_per_minute, ge=1)
    reopen_initial_seconds: float = Field(_DISPATCH.reopen_initial_seconds, gt=0)
    reopen_max_seconds: float = Field(_DISPATCH.reopen_max_seconds, gt=0)
    resend_ambiguous: list[PriorityName] = Field(
        default_factory=lambda: [cast(PriorityName, p.name.lower()) for p in sorted(_DISPATCH.resend_ambiguous)],
        description="priorities sent again at once on another modem when a submit's outcome is unknown",
    )
    sick_after_same_failures: int = Field(
        _DISPATCH.sick_after_same_failures, ge=1, description="the same refusal on this many messages in a row"
    )
    device_poll_seconds: float = Field(_DISPATCH.device_poll_seconds, gt=0, le=5)
    budget_warn_fraction: float = Field(_DISPATCH.budget_warn_fraction, gt=0, le=1)
    stop_timeout_seconds: float = Field(_DISPATCH.stop_timeout_seconds, gt=0)
    wake_socket: str | None = Field(_DISPATCH.wake_socket, description="Unix socket the CLI pokes")

    def build(self) -> DispatchSettings:
        resend = frozenset(Priority[name.upper()] for name in self.resend_ambiguous)
        return DispatchSettings(**{**self.model_dump(), "resend_ambiguous": resend})


class HoursSection(_Section):
    timezone: str = _HOURS.tz.key
    daytime_start: time = _HOURS.start
    daytime_end: time = _HOURS.end

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(_unknown_zone(value)) from None
        return value

    @model_validator(mode="after")
    def _window(self) -> HoursSection:
        self.build()  # an empty window is refused there, with the message the code gives too
        return self

    def build(self) -> DaytimeWindow:
        return DaytimeWindow(self.daytime_start, self.daytime_end, zoneinfo.ZoneInfo(self.timezone))


class TextSection(_Section):
    """Every key here is a field of ``TextSettings`` of the same name: a new text setting is one line in each.
    ``templates`` is not a key: it is read from the package and ``templates_file`` when the file is read, so that
    a broken templates file is refused like the rest of the configuration (and a reload re-reads it)."""

    policy: Literal["exact", "gsm-folded"] = _TEXT.policy
    max_segments: int = Field(_TEXT.max_segments, ge=1, le=20)
    template: str = _TEXT.template
    signature: str = Field(_TEXT.signature, max_length=60)
    exercise_prefix_fr: str = _TEXT.exercise_prefix_fr
    exercise_prefix_en: str = _TEXT.exercise_prefix_en
    test_prefix_fr: str = _TEXT.test_prefix_fr
    test_prefix_en: str = _TEXT.test_prefix_en
    templates_file: str = _TEXT.templates_file
    _templates: TemplateSet = PrivateAttr(default_factory=TemplateSet)

    @field_validator("templates_file")
    @classmethod
    def _templates_readable(cls, value: str) -> str:
        try:
            load_templates(value)  # read again below: the error is then named by its key
        except TemplateFileError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _read_templates(self) -> TextSection:
        self._templates = load_templates(self.templates_file)
        return self

    @field_validator(
        "template", "signature", "exercise_prefix_fr", "exercise_prefix_en", "test_prefix_fr", "test_prefix_en"
    )
    @classmethod
    def _printable(cls, value: str) -> str:
        # These go into every alert: the same rule as the texts operators type (gateway.printable).
        return printable(value)

    def build(self) -> TextSettings:
        return TextSettings(**self.model_dump(), templates=self._templates)


class RegistrySection(_Section):
    registration_years: int = Field(_REGISTRY.registration_years, ge=1, le=10)
    default_region: str = _REGISTRY.default_region
    test_ranges: list[str] = Field(default_factory=lambda: [f"{low}-{high}" for low, high in _REGISTRY.test_ranges])

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
                example = "-".join(FICTION_BLOCK)
                raise ValueError(f"« {item} » : écrivez une plage E.164 comme {example}")
        return value

    def build(self) -> RegistrySettings:
        ranges = tuple((low, high) for low, _, high in (r.partition("-") for r in self.test_ranges))
        return RegistrySettings(self.registration_years, self.default_region, ranges)


class CampaignSection(_Section):
    reminder_days: list[int] = Field(default_factory=lambda: list(_CAMPAIGNS.reminder_days))
    daily_job_time: time = _CAMPAIGNS.daily_job_time
    retention_days: int = Field(_CAMPAIGNS.retention_days, ge=1)

    def build(self) -> CampaignSettings:
        return CampaignSettings(tuple(self.reminder_days), self.daily_job_time, self.retention_days)


class InboxSection(_Section):
    incomplete_after_minutes: float = Field(
        _INBOX.incomplete_after / timedelta(minutes=1),
        gt=0,
        description="a concatenated reply still missing parts after this long is shown as it is",
    )

    def build(self) -> InboxSettings:
        return InboxSettings(timedelta(minutes=self.incomplete_after_minutes))


class ConsoleSection(_Section):
    idle_timeout_hours: float = Field(
        _CONSOLE.idle_timeout / timedelta(hours=1), gt=0, le=24 * 7, description="a console session ends after this"
    )

    def build(self) -> ConsoleSettings:
        return ConsoleSettings(timedelta(hours=self.idle_timeout_hours))


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


_toml_data: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("_toml_data")


class Settings(BaseSettings):
    """Every setting of the gateway. Environment: ``VIGI_SECTION__KEY`` (e.g. ``VIGI_HTTP__PORT=8081``)."""

    model_config = SettingsConfigDict(env_prefix="VIGI_", env_nested_delimiter="__", extra="forbid", frozen=True)

    station: str = _CONFIG.station
    operator_numbers: list[str] = Field(default_factory=list, description="duty numbers (E.164), test alerts")
    database: DatabaseSection = DatabaseSection()
    http: HttpSection = HttpSection()
    modems: list[ModemSection] = Field(default_factory=list)
    dispatch: DispatchSection = DispatchSection()
    hours: HoursSection = HoursSection()
    text: TextSection = TextSection()
    registry: RegistrySection = RegistrySection()
    campaigns: CampaignSection = CampaignSection()
    inbox: InboxSection = InboxSection()
    console: ConsoleSection = ConsoleSection()
    logging: LoggingSection = LoggingSection()

    @model_validator(mode="after")
    def _unique_modems(self) -> Settings:
        ids = [m.id for m in self.modems]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"modems : chaque modem doit avoir son propre id ; répété : {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _operator_numbers(self) -> Settings:
        problems = [p for p in (_operator_number(n, self.registry.build()) for n in self.operator_numbers) if p]
        if problems:
            raise ValueError("operator_numbers : " + " ; ".join(problems))
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

    def build(self) -> GatewayConfig:
        """The packages' values described by this file."""
        return GatewayConfig(
            station=self.station,
            operator_numbers=tuple(self.operator_numbers),
            database=DatabaseSettings(self.database.url, self.database.auto_migrate),
            http=self.http.build(),
            modems=tuple(m.build() for m in self.modems),
            dispatch=self.dispatch.build(),
            hours=self.hours.build(),
            text=self.text.build(),
            registry=self.registry.build(),
            campaigns=self.campaigns.build(),
            inbox=self.inbox.build(),
            console=self.console.build(),
            log_level=self.logging.level,
        )

    def shown(self) -> dict[str, Any]:
        """The values in force, shaped like the file, as an operator may see them: secrets masked."""
        data = self.model_dump(mode="json")
        data["database"]["url"] = mask_passwords(data["database"]["url"])
        for modem in data["modems"]:
            if modem["pin"] is not None:
                modem["pin"] = MASK
        return data


def _unknown_zone(name: str) -> str:
    zones = zoneinfo.available_timezones()
    city = name.rsplit("/", 1)[-1].lower()
    same_city = sorted(z for z in zones if z.rsplit("/", 1)[-1].lower() == city)
    near = same_city or difflib.get_close_matches(name, sorted(zones), n=1)
    hint = f" ; vouliez-vous dire « {near[0]} » ?" if near else " ; Saint-Martin est « America/Marigot »"
    return f"« {name} » n'est pas un fuseau horaire IANA{hint}"


def _operator_number(text: str, registry: RegistrySettings) -> str | None:
    """Why ``text`` is no usable operator number (None when it is one): E.164 only, a real mobile or a number of
    the register's test ranges (the fiction block by default)."""
    from gateway.registry.errors import InvalidPhoneError  # noqa: PLC0415 - phonenumbers only when needed
    from gateway.registry.phones import parse_phone  # noqa: PLC0415

    try:
        parsed = parse_phone(text, default_region=registry.default_region, test_ranges=registry.test_ranges)
    except InvalidPhoneError as exc:
        return str(exc)
    if text != parsed.e164:
        return f"« {text} » : écrivez le numéro au format international E.164, « {parsed.e164} »"
    return None


# pydantic's error types in French: what the value must be. ``{…}`` are the error's context values.
_MESSAGES: Mapping[str, str] = {
    "missing": "clé obligatoire absente",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "bool_parsing": "doit être true ou false",
    "bool_type": "doit être true ou false",
    "string_type": "doit être un texte entre guillemets",
    "list_type": 'doit être une liste entre crochets, par exemple ["…"]',
    "literal_error": "doit être l'une de ces valeurs : {expected}",
    "time_parsing": "heure invalide ; écrivez-la comme 08:00:00",
    "time_type": "heure invalide ; écrivez-la comme 08:00:00",
    "model_type": "doit être une section [entre crochets]",
}
# What a key's value must look like, where pydantic would show a regular expression.
_PATTERNS: Mapping[str, str] = {
    "pin": "de 4 à 8 chiffres, entre guillemets",
    "id": "de 1 à 32 lettres sans accent, chiffres, « . », « _ » ou « - »",
}
_SECRET_KEYS = frozenset({"pin"})


def _shown_value(key: str, value: Any) -> str:
    if key.rsplit(".", 1)[-1] in _SECRET_KEYS:
        return MASK
    if isinstance(value, str):
        return f"« {mask_passwords(value)} »"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_shown_value(key, v) for v in value) + "]"
    if isinstance(value, int | float):
        return str(value)
    return "la section donnée" if isinstance(value, dict) else mask_passwords(str(value))


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(fichier)"
        kind = item["type"]
        if kind == "extra_forbidden":
            lines.append(f"{key} : clé inconnue ; vérifiez son orthographe dans {EXAMPLE}")
            continue
        if kind == "value_error":
            message = str(item.get("ctx", {}).get("error", item["msg"]))
            lines.append(f"{key} : {message}" if key != "(fichier)" else message)
            continue
        if kind == "string_pattern_mismatch":
            message = "doit être " + _PATTERNS.get(key.rsplit(".", 1)[-1], "écrit autrement")
        else:
            context = {k: _shown_value(key, v) for k, v in item.get("ctx", {}).items()}
            if "expected" in context:  # pydantic writes "'exact' or 'gsm-folded'"
                choices = re.findall(r"'([^']*)'", str(item["ctx"]["expected"]))
                context["expected"] = ", ".join(f"« {c} »" for c in choices)
            template = _MESSAGES.get(kind)
            message = template.format(**context) if template else item["msg"]
        shown = "" if kind == "missing" else f" (valeur : {_shown_value(key, item.get('input'))})"
        lines.append(f"{key} : {message}{shown}")
    return "\n".join(lines)


def config_path(path: Path | None = None) -> Path:
    """The file to read: ``path``, else ``$VIGI_CONFIG``, else the default path."""
    if path is not None:
        return path
    if os.environ.get("VIGI_CONFIG"):
        return Path(os.environ["VIGI_CONFIG"])
    return DEFAULT_CONFIG_PATH


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """The schema's view of ``path`` (or ``$VIGI_CONFIG``, or the default path), for ``config check``.

    A missing file is an error, wherever its path came from: a gateway that silently ran on defaults would send
    nothing (no modem) while saying it is fine. ``overrides`` win over everything (tests).
    """
    source = config_path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{source} : fichier de configuration introuvable ; copiez {EXAMPLE} à cet endroit et adaptez-le, ou "
            "donnez le chemin du vôtre avec --config (ou $VIGI_CONFIG)"
        ) from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise ConfigError(f"{source} : impossible de lire le fichier de configuration ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source} : ce n'est pas du TOML valide : {exc}") from exc
    token = _toml_data.set(data)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"{source} : configuration invalide :\n{_describe(exc)}") from exc
    finally:
        _toml_data.reset(token)


def load_config(path: Path | None = None, **overrides: Any) -> GatewayConfig:
    """The packages' values from ``path`` (see :func:`load_settings`); raises :class:`ConfigError`."""
    return load_settings(path, **overrides).build()
