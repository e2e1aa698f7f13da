"""Plain parameters of the register; the daemon and the CLI's loader build one from the ``[registry]`` section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.registry.phones import DEFAULT_REGION, DEFAULT_TEST_RANGES, TestRange


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """``registration_years``: how long a registration lasts; ``default_region``: how national numbers
    are read; ``test_ranges``: inclusive E.164 ranges accepted as test numbers (default: ARCEP fiction block)."""

    registration_years: int = 3
    default_region: str = DEFAULT_REGION
    test_ranges: Sequence[TestRange] = field(default=DEFAULT_TEST_RANGES)


DEFAULT_SETTINGS = RegistrySettings()
