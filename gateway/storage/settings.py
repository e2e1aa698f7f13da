"""Where the database is; built from the ``[database]`` section of the configuration."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:////var/lib/vigicommerce/gateway.db"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """``url``: a SQLAlchemy URL (SQLite file or PostgreSQL; it may hold a password: show it through
    ``gateway.storage.db.mask_url``); ``auto_migrate``: bring an older schema up to date at start-up, else
    refuse to start."""

    url: str = DEFAULT_DB_URL
    auto_migrate: bool = True
