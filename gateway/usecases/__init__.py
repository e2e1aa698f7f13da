"""Use cases: one function per thing people do with the gateway, called by every face (HTTP API, command line,
web console), so that the three faces cannot drift apart.

The convention, for every area (``members`` and ``reference`` now; alerts, campaigns, inbox and modems next):

* one module per area (``usecases/members.py``); each public function is one use case;
* a use case takes what it needs as arguments: a :class:`Store` (where to read and write), ``actor`` (who
  acts, for the audit log), ``now`` (UTC) and ``today`` (the station's local date), the plain settings
  dataclasses of the packages it uses, and the request's values already parsed (a face turns text into
  types and nothing more);
* it opens and commits its own transaction (a read never writes) and returns frozen dataclasses, never ORM
  objects, so that nothing lazy-loads after its session closed;
* it raises the domain packages' errors (``RegistryError`` …) and each face renders them its own way
  (exit code and French message, HTTP status and JSON error);
* faces import no SQLAlchemy, no models and no domain module to change data: parse, check the role, call one
  use case, render.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.storage import dialect
from gateway.storage.db import session_factory


@dataclass(frozen=True, slots=True)
class Store:
    """Where use cases read and write: ``sessions`` for writes (short: on SQLite they hold the write lock),
    ``read_sessions`` for reads (on SQLite they never wait for the daemon's writes)."""

    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    @classmethod
    def for_engine(cls, engine: Engine) -> Store:
        return cls(
            sessions=session_factory(engine),
            read_sessions=session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"})),
        )
