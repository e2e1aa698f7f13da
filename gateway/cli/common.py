"""What every command group shares: consoles, common options, database access and error reporting.

The configuration comes from ``gateway.cli.loader``, the CLI's only door to the file's schema.

Messages for operators are in French. Errors say what is wrong and what to do, and exit non-zero: 2 for bad
input or configuration (nothing was written), 1 for other failures (database, daemon unreachable, refusal).
Heavy modules (SQLAlchemy sessions, domain packages) are imported inside functions so that ``--help`` is fast.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from gateway.config import GatewayConfig
    from gateway.outbox.store import Outbox

out = Console()
# Messages on stderr are not wrapped by rich: the terminal wraps them, and a command quoted in a message stays
# one line that can be copied.
err = Console(stderr=True, soft_wrap=True)
# The reference lists (zones, streets, categories): the repository's data/ in a checkout, where the Debian
# package installs them otherwise. The CCISM may load its own.
_CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "data"
INSTALLED_DATA = Path("/usr/share/vigicommerce/data")
DATA_DIR = _CHECKOUT_DATA if (_CHECKOUT_DATA / "zones.csv").is_file() else INSTALLED_DATA
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="fichier TOML de configuration")]
JsonOption = Annotated[bool, typer.Option("--json", help="sortie JSON pour les scripts")]
OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", "--actor", help="qui agit, inscrit au journal d'audit (défaut : l'utilisateur Unix)"),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="ne pas demander de confirmation")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=100_000, help="nombre maximal de lignes")]


# How the CLI names the text fields of the domain, in error messages.
CLI_FIELDS = {"text_fr": "--fr", "text_en": "--en"}
# French operators answer "o"/"oui"; English habits ("y") are accepted too.
YES_WORDS = frozenset({"o", "oui", "y", "yes"})


def emit_json(data: object) -> None:
    """``data`` as JSON on stdout, written as is: rich would wrap long lines and read ``[…]`` as markup,
    which made the output unparseable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def local_zone_caption(settings: GatewayConfig) -> str:
    """The caption of a table whose times are local: the zone they are in."""
    return f"heures locales ({settings.hours.tz.key})"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` (markup allowed) on stderr, passwords masked, and exit with ``code`` (2: bad input,
    1: other failure)."""
    from gateway.redact import mask_passwords  # noqa: PLC0415

    err.print(mask_passwords(message))
    raise typer.Exit(code)


def operator_name(value: str | None) -> str:
    """The actor for the audit log: ``--operator``, else the person behind sudo, else the Unix user."""
    if value is not None and value.strip():
        return value.strip()
    sudo_user = os.environ.get("SUDO_USER", "").strip()
    if sudo_user:
        return sudo_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still someone, and say so
        return "cli"


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_date(settings: GatewayConfig, now: datetime) -> date:
    """The station's calendar date at ``now`` (registrations expire on local dates)."""
    from gateway.campaigns.daytime import local_today  # noqa: PLC0415

    return local_today(now, settings.hours)


def local_time(settings: GatewayConfig, moment: datetime | None) -> str:
    """A stored UTC time as the operators read it: local, to the minute; empty for None."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(settings.hours.tz).strftime("%d/%m/%Y %H:%M")


def _check_schema(settings: GatewayConfig, engine: Engine) -> None:
    from gateway.storage import migrate  # noqa: PLC0415

    found, wanted = migrate.current_engine(engine), migrate.head()
    if found != wanted:
        fail(
            f"[red]Base de données pas à jour[/red] : schéma {found or 'vide'}, ce programme attend {wanted} ; "
            f"lancez « vigicommerce db upgrade » ({settings.database.url})."
        )


@contextlib.contextmanager
def database(settings: GatewayConfig) -> Iterator[Engine]:
    """An engine on the configured database, disposed of afterwards.

    Exits 2 when the SQLite file does not exist (rather than creating an empty one) or the schema is not
    the one this program expects: both mean "run ``vigicommerce db upgrade``".
    """
    from gateway.storage.db import make_engine  # noqa: PLC0415 - keep `--help` fast
    from gateway.storage.errors import StorageError  # noqa: PLC0415

    url = settings.database.url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            fail(
                f"[red]Base de données introuvable[/red] : {path} ; vérifiez [database] url dans la configuration "
                "ou créez-la avec « vigicommerce db upgrade »."
            )
    try:
        engine = make_engine(url)
    except StorageError as exc:
        fail(f"[red]Base de données[/red] : {escape(str(exc))}", 1)
    try:
        with domain_errors():
            _check_schema(settings, engine)
        yield engine
    finally:
        engine.dispose()


def outbox(engine: Engine, settings: GatewayConfig) -> Outbox:
    """The outbox, poking the running daemon after each commit that queued messages (gateway.wake)."""
    from gateway import wake  # noqa: PLC0415
    from gateway.outbox.store import Outbox  # noqa: PLC0415

    path = wake.socket_path(settings.database.url, settings.dispatch.wake_socket)

    def poke(priority: int | None) -> None:
        wake.send(path, priority)

    return Outbox(engine, notify=poke)


def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for writes (``BEGIN IMMEDIATE`` on SQLite: keep them short)."""
    from gateway.storage.db import session_factory  # noqa: PLC0415

    return session_factory(engine)


def read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads: DEFERRED on SQLite, so they never wait for the daemon's write lock."""
    from gateway.storage import dialect  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    return session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"}))


def confirm(question: str) -> None:
    """Ask on stderr (stdout stays clean for ``--json``); anything but yes exits 1 with nothing written."""
    try:
        answer = typer.prompt(f"{question} [o/N]", default="", show_default=False, err=True)
    except typer.Abort:  # end of input (no terminal): a refusal
        answer = ""
    accepted = answer.strip().lower() in YES_WORDS
    if not accepted:
        fail("Abandon : rien n'a été écrit.", 1)


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the domain packages' errors into a French message and an exit code.

    Input the operator can correct (unknown zone, bad SIREN, text too long, unknown alert ...) exits 2;
    a state that forbids the action (renewing a withdrawn member) and storage failures exit 1.
    """
    from gateway.alerts.errors import AlertError, AlertNotFoundError  # noqa: PLC0415
    from gateway.audit.log import AuditError  # noqa: PLC0415
    from gateway.campaigns.errors import CampaignError  # noqa: PLC0415
    from gateway.printable import UnprintableTextError  # noqa: PLC0415
    from gateway.registry.errors import (  # noqa: PLC0415
        AmbiguousMemberError,
        InvalidTransitionError,
        MemberNotFoundError,
        RegistryError,
    )
    from gateway.storage.errors import StorageError  # noqa: PLC0415

    try:
        yield
    except UnprintableTextError as exc:
        where = CLI_FIELDS.get(exc.field or "", "le texte")
        fail(f"[red]Texte refusé[/red] ({where}) : {escape(str(exc))}.")
    except AlertNotFoundError as exc:
        fail(f"[red]Erreur[/red] : {escape(str(exc))} ; « vigicommerce alert list » montre les alertes.")
    except MemberNotFoundError as exc:
        fail(f"[red]Erreur[/red] : {escape(str(exc))} ; cherchez-le avec « vigicommerce members list --search NOM ».")
    except AmbiguousMemberError as exc:
        fail(f"[red]Erreur[/red] : {escape(str(exc))}.")
    except InvalidTransitionError as exc:
        fail(f"[red]Refusé[/red] : {escape(str(exc))}", 1)
    except (AlertError, RegistryError, CampaignError) as exc:
        fail(f"[red]Erreur[/red] : {escape(str(exc))}")
    except (StorageError, AuditError) as exc:
        fail(f"[red]Base de données[/red] : {escape(str(exc))}", 1)
