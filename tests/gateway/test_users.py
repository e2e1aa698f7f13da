"""Console accounts and sessions (gateway.usecases.users) on SQLite and PostgreSQL: creating, signing in and out,
the lock after repeated failures, the idle timeout, disabling and changing a password ending sessions at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from gateway.audit.log import entries
from gateway.auth.roles import Role
from gateway.storage.db import make_engine
from gateway.storage.migrate import upgrade_engine
from gateway.usecases import Store, users

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
IDLE = timedelta(hours=12)
PASSWORD = "une phrase assez longue"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = make_engine(database_url)
    upgrade_engine(engine)
    yield Store.for_engine(engine)
    engine.dispose()


def actions(store: Store, prefix: str) -> list[str]:
    with store.read_sessions.begin() as session:
        return [e.action for e in entries(session) if e.action.startswith(prefix)]


def test_create_then_sign_in_with_any_case_of_the_name(store: Store) -> None:
    new = users.create(store, "Dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    assert new.user.name == "dupont" and new.generated_password is None
    result = users.log_in(store, " DUPONT ", PASSWORD, "10.0.0.1", now=T0)
    assert result.identity is not None and result.token is not None
    assert result.identity.name == "dupont" and result.identity.role is Role.ALERTS
    assert users.identify(store, result.token, now=T0, idle=IDLE) == result.identity
    assert actions(store, "user.") == ["user.create"]
    assert actions(store, "console.") == ["console.login"]


def test_a_generated_password_is_returned_once_and_works(store: Store) -> None:
    new = users.create(store, "martin", Role.READ, None, actor="admin", now=T0)
    assert new.generated_password is not None and len(new.generated_password) >= 16
    assert users.log_in(store, "martin", new.generated_password, "10.0.0.1", now=T0).token is not None


def test_only_hashes_are_stored(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    token = users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token
    assert token is not None
    with store.read_sessions.begin() as session:
        stored = session.execute(text("SELECT password_hash FROM console_user")).scalar_one()
        hashes = session.execute(text("SELECT token_hash FROM console_session")).scalars().all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert token not in hashes and len(hashes) == 1


@pytest.mark.parametrize(
    ("name", "password", "says"),
    [
        ("a", PASSWORD, "de 2 à 40"),
        ("jean dupont", PASSWORD, "de 2 à 40"),
        ("élodie", PASSWORD, "sans accent"),
        ("dupont", "court", "trop court"),
        ("dupont", "x" * 201, "trop long"),
        ("dupont", "avec\tune tabulation", "invisible"),
    ],
)
def test_bad_names_and_passwords_are_refused_and_nothing_is_written(
    store: Store, name: str, password: str, says: str
) -> None:
    with pytest.raises(users.InvalidUserError, match=says):
        users.create(store, name, Role.READ, password, actor="admin", now=T0)
    assert users.list_all(store) == []
    assert actions(store, "") == []


def test_a_name_is_taken_once(store: Store) -> None:
    users.create(store, "dupont", Role.READ, PASSWORD, actor="admin", now=T0)
    with pytest.raises(users.InvalidUserError, match="existe déjà"):
        users.create(store, "DUPONT", Role.ADMIN, PASSWORD, actor="admin", now=T0)


def test_wrong_password_unknown_name_and_disabled_account_are_refused_alike_and_audited(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    users.create(store, "parti", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    users.disable(store, "parti", actor="admin", now=T0)
    for name, password in (("dupont", "mauvais mot de passe"), ("inconnu", PASSWORD), ("parti", PASSWORD)):
        result = users.log_in(store, name, password, "10.0.0.1", now=T0)
        assert result.identity is None and result.token is None and result.lock is None
    with store.read_sessions.begin() as session:
        reasons = [e.details["reason"] for e in entries(session, action="console.login_failed")]
    assert reasons == ["password", "unknown", "disabled"]


def test_five_failures_lock_the_name_for_fifteen_minutes_from_any_address(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    for i in range(4):
        assert users.log_in(store, "dupont", "faux", f"10.0.0.{i}", now=T0 + timedelta(minutes=i)).lock is None
    fifth = users.log_in(store, "dupont", "faux", "10.0.0.9", now=T0 + timedelta(minutes=4))
    assert fifth.lock is not None and fifth.lock.by == "name"
    assert fifth.lock.until == T0 + timedelta(minutes=19)
    # The right password, from another address, during the lock: refused, and not counted.
    during = users.log_in(store, "dupont", PASSWORD, "10.0.0.50", now=T0 + timedelta(minutes=18))
    assert during.token is None and during.lock == fifth.lock
    after = users.log_in(store, "dupont", PASSWORD, "10.0.0.50", now=T0 + timedelta(minutes=19))
    assert after.token is not None
    assert actions(store, "console.lockout") == ["console.lockout"]
    assert len(actions(store, "console.login_failed")) == 5


def test_five_failures_from_one_address_lock_that_address_for_every_name(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    for i in range(5):
        users.log_in(store, f"essai{i}", "faux", "192.0.2.7", now=T0)
    refused = users.log_in(store, "dupont", PASSWORD, "192.0.2.7", now=T0)
    assert refused.token is None and refused.lock is not None and refused.lock.by == "address"
    assert users.log_in(store, "dupont", PASSWORD, "192.0.2.8", now=T0).token is not None


def test_a_success_forgets_the_names_failures(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    for _ in range(4):
        users.log_in(store, "dupont", "faux", "10.0.0.1", now=T0)
    assert users.log_in(store, "dupont", PASSWORD, "10.0.0.2", now=T0).token is not None
    assert users.log_in(store, "dupont", "faux", "10.0.0.3", now=T0).lock is None


def test_idle_timeout_and_what_counts_as_activity(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    token = users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token
    assert token is not None
    # A page's own refresh every few seconds does not keep the session open ...
    for hour in range(1, 12):
        assert users.identify(store, token, now=T0 + timedelta(hours=hour), idle=IDLE, activity=False) is not None
    assert users.identify(store, token, now=T0 + timedelta(hours=12, seconds=1), idle=IDLE) is None
    # ... the user's own pages do.
    token = users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token
    assert token is not None
    for hour in (6, 12, 18):
        assert users.identify(store, token, now=T0 + timedelta(hours=hour), idle=IDLE) is not None
    assert users.identify(store, token, now=T0 + timedelta(hours=30, seconds=1), idle=IDLE) is None


def test_logout_ends_the_session_at_once(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    token = users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token
    assert token is not None
    assert users.log_out(store, token, now=T0) == "dupont"
    assert users.identify(store, token, now=T0, idle=IDLE) is None
    assert users.log_out(store, token, now=T0) is None
    assert actions(store, "console.") == ["console.login", "console.logout"]


def test_disabling_ends_every_session_and_enabling_lets_the_user_back(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    tokens = [users.log_in(store, "dupont", PASSWORD, f"10.0.0.{i}", now=T0).token for i in range(2)]
    user, ended = users.disable(store, "dupont", actor="admin", now=T0)
    assert ended == 2 and user.disabled_at == T0
    assert all(users.identify(store, t or "", now=T0, idle=IDLE) is None for t in tokens)
    assert users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token is None
    assert users.disable(store, "dupont", actor="admin", now=T0)[1] == 0  # twice: nothing more
    users.enable(store, "dupont", actor="admin", now=T0)
    assert users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token is not None
    assert actions(store, "user.") == ["user.create", "user.disable", "user.enable"]


def test_a_new_password_ends_the_sessions_and_the_old_one_no_longer_works(store: Store) -> None:
    users.create(store, "dupont", Role.ALERTS, PASSWORD, actor="admin", now=T0)
    token = users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token
    assert token is not None
    _, generated = users.change_password(store, "dupont", None, actor="admin", now=T0)
    assert generated is not None
    assert users.identify(store, token, now=T0, idle=IDLE) is None
    assert users.log_in(store, "dupont", PASSWORD, "10.0.0.1", now=T0).token is None
    assert users.log_in(store, "dupont", generated, "10.0.0.1", now=T0).token is not None


def test_unknown_user(store: Store) -> None:
    with pytest.raises(users.UserNotFoundError, match="users list"):
        users.disable(store, "personne", actor="admin", now=T0)
