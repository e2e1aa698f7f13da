"""Plain parameters of the register; the daemon's pydantic settings object builds one of these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.registry.phones import DEFAULT_REGION, DEFAULT_TEST_RANGES, TestRange

if TYPE_CHECKING:
    from gateway import settings as config


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """``registration_years``: how long a registration lasts; ``default_region``: how national numbers
    are read; ``test_ranges``: inclusive E.164 ranges accepted as test numbers (default: ARCEP fiction block)."""

    registration_years: int = 3
    default_region: str = DEFAULT_REGION
    test_ranges: Sequence[TestRange] = field(default=DEFAULT_TEST_RANGES)

    @classmethod
    def from_config(cls, registry: config.RegistrySettings) -> RegistrySettings:
        """The register's parameters from the ``[registry]`` section of the configuration."""
        return cls(
            registration_years=registry.registration_years,
            default_region=registry.default_region,
            test_ranges=registry.ranges(),
        )


DEFAULT_SETTINGS = RegistrySettings()
