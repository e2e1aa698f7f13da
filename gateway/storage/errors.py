"""Errors of the storage layer: one root, ``StorageError``, with a subclass per thing an operator can fix."""

from __future__ import annotations


class StorageError(Exception):
    """Root of every error raised by ``gateway.storage`` (and re-raised by the stores built on it)."""


class StorageUnavailableError(StorageError):
    """The database cannot be opened: missing directory, no permission, server down."""


class StorageFullError(StorageError):
    """The disk (or the database's size limit) is full: nothing more can be committed."""


class StorageBusyError(StorageError):
    """Another process held the database lock longer than the busy timeout."""


class MigrationRequiredError(StorageError):
    """The database schema is older than this program: run ``vigicommerce db upgrade``."""
