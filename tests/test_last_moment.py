"""Nothing leaves that should not (issue 9): withdrawal, STOP, suspension and cancel committed in the middle of a
batch that one modem already claimed, at 1 s per submit, against the real daemon; counted on the handsets.

After each of them commits, at most the one message whose PDU was already written to the modem may still reach
the numbers concerned. The commit times are read from the database (``withdrawn_at``, the audit log,
``cancelled_at``); the arrival times from the simulator's handsets; both are wall clock of this machine.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from simulator.testing import running_simulator
from tests.test_end_to_end import SAMPLE, cli, daemon, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ZONE = "cul-de-sac"  # the smallest zone of the sample (about fourteen numbers)


def query(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def at(value: object) -> datetime:
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def arrivals(sim_client: object, text: str) -> list[tuple[str, datetime]]:
    return [
        (m["recipient"], datetime.fromisoformat(m["received_at"]).replace(tzinfo=None))
        for m in sim_client.handsets()  # type: ignore[attr-defined]
        if m["text"] == text
    ]


def test_withdrawal_stop_suspension_and_cancel_stop_claimed_messages(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    log = tmp_path / "daemon.log"
    sim_options = {"fast": False, "submit_delay": 1.0, "submit_jitter": 0.0, "cmms_delay": 1.0, "report_delay": 0.5}
    with running_simulator(tmp_path, modems=1, **sim_options) as sim:
        config = tmp_path / "gateway.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{db}"\n[http]\nport = {free_port()}\n'
            "[dispatch]\nreopen_initial_seconds = 0.1\n"
            "[hours]\ndaytime_start = 00:00:00\ndaytime_end = 23:59:59\n"
            f'[[modems]]\nid = "m0"\ndevice = "{sim.modems[0].device_path}"\n'
            "per_minute = 100000\nper_hour = 1000000\nper_day = 1000000\n",
            encoding="utf-8",
        )
        cli(config, "db", "upgrade")
        cli(config, "members", "import", str(SAMPLE))
        client = sim.client
        with daemon(config, log):
            wait_for(lambda: "modem ready" in log.read_text(encoding="utf-8"), "the modem never opened", log)

            # 1. Withdrawal (CLI), STOP (an SMS reply) and suspension (CLI) while the batch of 10 is claimed.
            text = "Vigicommerce : vol à l'arraché signalé à Cul-de-Sac, restez vigilants."
            alert = json.loads(cli(config, "alert", "send", "--fr", text, "--zone", ZONE, "--yes", "--json"))
            text = alert["text"]  # what members receive: the signature first
            order = [
                str(n)
                for (n,) in query(
                    db, "SELECT recipient FROM outbox_message WHERE alert_id = ? ORDER BY id", alert["alert_id"]
                )
            ]
            assert len(order) >= 11, order
            wait_for(lambda: len(arrivals(client, text)) >= 1, "the first message never arrived", log)
            withdrawn, stopped, suspended_number = order[5], order[7], order[9]
            (siren,) = query(
                db,
                "SELECT m.siren FROM registry_member m JOIN registry_member_phone p ON p.member_id = m.id "
                "WHERE p.e164 = ? LIMIT 1",
                suspended_number,
            )[0]
            suspended = {
                str(n)
                for (n,) in query(
                    db,
                    "SELECT p.e164 FROM registry_member_phone p JOIN registry_member m ON m.id = p.member_id "
                    "WHERE m.siren = ?",
                    siren,
                )
            } & set(order)
            client.incoming(0, stopped, "STOP")
            cli(config, "members", "withdraw", "--number", withdrawn, "--yes")
            cli(config, "members", "suspend", str(siren))

            def commit_of(number: str) -> datetime | None:
                rows = query(db, "SELECT withdrawn_at FROM registry_member_phone WHERE e164 = ?", number)
                return at(rows[0][0]) if rows and rows[0][0] else None

            wait_for(lambda: commit_of(stopped) is not None, "the STOP was never handled", log, seconds=30)
            (suspended_at,) = query(
                db, "SELECT max(at) FROM audit_log WHERE action LIKE '%suspend%' AND subject LIKE ?", f"%{siren}%"
            )[0]
            commits = {withdrawn: commit_of(withdrawn), stopped: commit_of(stopped)}
            commits.update(dict.fromkeys(suspended, at(suspended_at)))
            assert all(c is not None for c in commits.values()), commits

            def drained() -> bool:
                states = query(
                    db,
                    "SELECT count(*) FROM outbox_message WHERE alert_id = ? AND state IN ('queued', 'sending')",
                    alert["alert_id"],
                )
                return states == [(0,)]

            wait_for(drained, "the alert never drained", log)
            late = [(n, t) for n, t in arrivals(client, text) if n in commits and t > commits[n]]  # type: ignore[operator]
            assert len(late) <= 1, f"sent after the withdrawal/STOP/suspension committed: {late}"
            # Those rows were claimed before the change committed (the batch of 10): the check right before each
            # submit is what stopped them.
            for number, committed in commits.items():
                if number in {n for n, _ in late}:
                    continue
                ((state, claimed_at, error),) = query(
                    db,
                    "SELECT state, claimed_at, last_error FROM outbox_message WHERE alert_id = ? AND recipient = ?",
                    alert["alert_id"],
                    number,
                )
                assert (state, error) == ("cancelled", "recipient no longer allowed"), number
                assert claimed_at is not None and at(claimed_at) < committed, (number, claimed_at, committed)

            # 2. Cancel (CLI) after three messages of a second alert.
            second = "Vigicommerce : fin de vigilance à Cul-de-Sac, message de test d'annulation."
            alert2 = json.loads(cli(config, "alert", "send", "--fr", second, "--zone", ZONE, "--yes", "--json"))
            second = alert2["text"]
            wait_for(lambda: len(arrivals(client, second)) >= 3, "the second alert never started", log)
            cli(config, "alert", "cancel", str(alert2["alert_id"]), "--yes")
            (cancelled_at,) = query(db, "SELECT cancelled_at FROM alert WHERE id = ?", alert2["alert_id"])[0]

            def settled() -> bool:
                return query(
                    db,
                    "SELECT count(*) FROM outbox_message WHERE alert_id = ? AND state IN ('queued', 'sending')",
                    alert2["alert_id"],
                ) == [(0,)]

            # Settled: nothing queued or being sent; a message on the air is "sent" only once the modem answered,
            # after the handset got it, so every arrival is in.
            wait_for(settled, "the cancelled alert never settled", log)
            after_cancel = [(n, t) for n, t in arrivals(client, second) if t > at(cancelled_at)]
            assert len(after_cancel) <= 1, f"sent after the cancel committed: {after_cancel}"
            rows = query(
                db, "SELECT state, count(*) FROM outbox_message WHERE alert_id = ? GROUP BY state", alert2["alert_id"]
            )
            states = dict(rows)
            went = states.pop("sent", 0) + states.pop("delivered", 0)
            assert went == len(arrivals(client, second)) and set(states) == {"cancelled"}, rows
