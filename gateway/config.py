"""The gateway's configuration as the packages read it: one frozen value per package, gathered for the daemon
and the command line.

``gateway.settings`` (the pydantic schema of the TOML file) builds a :class:`GatewayConfig`; only it, the daemon
and the CLI's loader know that schema. Everything else takes the plain values below, so domain code can be used
and tested without the daemon's configuration (a test builds ``TextSettings(policy="exact")``, not a file).
A reload (SIGHUP) compares two of these values: see ``gateway.reload``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.alerts.settings import TextSettings
from gateway.api.settings import HttpSettings
from gateway.campaigns.settings import CampaignSettings
from gateway.console.settings import ConsoleSettings
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.settings import DispatchSettings, ModemSettings
from gateway.inbox.settings import InboxSettings
from gateway.registry.settings import RegistrySettings
from gateway.storage.settings import DatabaseSettings


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Every package's settings, named after the sections of the configuration file.

    ``hours`` is the ``[hours]`` section: the station's time zone and the daytime window of reminders;
    ``operator_numbers``: the duty numbers (E.164) that test alerts go to; ``log_level``: ``[logging] level``.
    """

    station: str = "saint-martin"
    operator_numbers: tuple[str, ...] = ()
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    modems: tuple[ModemSettings, ...] = ()
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    hours: DaytimeWindow = field(default_factory=DaytimeWindow)
    text: TextSettings = field(default_factory=TextSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    log_level: str = "INFO"
