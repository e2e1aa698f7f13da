"""Fictitious members for demos, tests and benchmarks: valid SIRENs, numbers only from the ARCEP fiction block.

Never produces a number outside +33 6 39 98 00 00 – 99 99, so that a file generated here can be loaded
into a gateway wired to a real modem without texting a stranger.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn

from gateway.registry.csv_io import COLUMNS

FICTION_FIRST = 33639980000
FICTION_SIZE = 10_000


def siren_from(prefix: int) -> str:
    """The valid SIREN whose first eight digits are ``prefix`` (0 ≤ prefix < 10**8)."""
    head = f"{prefix:08d}"
    return head + str(luhn.calc_check_digit(head))


def siret_from(siren: str, establishment: int) -> str:
    """The valid SIRET of ``siren``'s establishment number ``establishment`` (1 ≤ establishment < 10**4)."""
    head = f"{siren}{establishment:04d}"
    return head + str(luhn.calc_check_digit(head))


def fiction_number(index: int) -> str:
    """The ``index``-th number of the fiction block (0 ≤ index < 10,000)."""
    if not 0 <= index < FICTION_SIZE:
        raise ValueError(f"the fiction block holds {FICTION_SIZE} numbers, not index {index}")
    return f"+{FICTION_FIRST + index}"


def write_members_csv(
    path: Path,
    rows: int,
    *,
    zones: list[str],
    categories: list[str],
    streets: dict[str, list[str]] | None = None,
    today: date,
    seed: int = 0,
) -> None:
    """Write ``rows`` establishments in the import format, each with its SIRET; every tenth one is a second
    establishment of the business before it. Row *i* gets fiction number *i* (so at most 10,000 rows)."""
    if rows > FICTION_SIZE:
        raise ValueError(f"at most {FICTION_SIZE} rows: one fiction number each")
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    streets = streets or {}
    prefixes = rng.sample(range(10**7, 10**8), rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        siren = ""
        for i in range(rows):
            second = i % 10 == 9
            siren = siren if second else siren_from(prefixes[i])
            zone = rng.choice(zones)
            street = rng.choice(streets[zone]) if streets.get(zone) and rng.random() < 0.8 else ""
            registered = today - timedelta(days=rng.randrange(0, 4 * 365))
            writer.writerow(
                [
                    siren,
                    siret_from(siren, 2 if second else 1),
                    f"Commerce fictif {i}",
                    rng.choice(categories),
                    f"{i % 200 + 1} {street or zone}",
                    street,
                    zone,
                    fiction_number(i),
                    f"Contact {i}",
                    registered.isoformat(),
                ]
            )
