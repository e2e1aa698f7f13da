"""/inbox, /modems, /outbox, /healthz, /metrics and /messages."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from gateway.auth.roles import Role
from gateway.dispatch.budgets import EXHAUSTED_NOTE, SimState
from gateway.dispatch.settings import SimBudget
from gateway.inbox.models import InboxKind, InboxMessage
from gateway.storage.db import session_factory
from tests.gateway.api.harness import NOW, Api


def test_messages_are_operational_and_audited(api: Api) -> None:
    response = api.client.post(
        "/messages",
        json={"recipients": ["06 39 98 00 09", "+33639980009"], "text": "Maintenance du modem ce soir"},
        headers=api.auth(),
    )
    assert response.status_code == 202 and response.json()["numbers"] == 1
    assert api.count("SELECT count(*) FROM outbox_message WHERE priority = 1") == 1
    assert (
        api.count("SELECT count(*) FROM audit_log WHERE action = 'message.operational' AND actor = 'agent-admin'") == 1
    )
    bad = api.client.post("/messages", json={"recipients": ["0590 87 00 00"], "text": "x"}, headers=api.auth())
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "recipients"
    for text, shown in (("Panne\u202e", "U+202E"), ("Panne\u001b", "U+001B ESC"), ("\ufffe", "U+FFFE")):
        bad = api.client.post("/messages", json={"recipients": ["+33639980009"], "text": text}, headers=api.auth())
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "text", bad.text
        assert shown in bad.json()["error"]["message"]
    assert api.count("SELECT count(*) FROM outbox_message") == 1
    long = api.client.post("/messages", json={"recipients": ["+33639980009"], "text": "€" * 500}, headers=api.auth())
    assert long.status_code == 422 and long.json()["error"] == {
        **long.json()["error"],
        "code": "text_too_long",
        "field": "text",
    }
    assert api.count("SELECT count(*) FROM outbox_message") == 1


def test_outbox_modems_and_metrics(api: Api) -> None:
    api.client.post("/alerts", json={"text_fr": "Alerte", "target": {"zones": ["marigot"]}}, headers=api.auth())
    outbox = api.client.get("/outbox", headers=api.auth(Role.READ)).json()
    assert outbox["by_state"]["queued"] == 3
    assert {"state": "queued", "priority": "alert", "count": 3} in outbox["counts"]
    assert outbox["oldest_queued_age_seconds"] == 0.0
    modems = api.client.get("/modems", headers=api.auth(Role.READ)).json()["items"]
    assert modems[0]["id"] == "m0" and modems[0]["signal"] == 21 and modems[0]["network"] == "registered"
    api.client.get("/alerts/999", headers=api.auth())
    page = api.client.get("/metrics", headers=api.auth(Role.READ))
    assert page.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page.text)
        for s in family.samples
    }
    assert samples[("vigicommerce_outbox_messages", (("priority", "alert"), ("state", "queued")))] == 3
    assert samples[("vigicommerce_outbox_messages", (("priority", "reminder"), ("state", "dead")))] == 0
    assert samples[("vigicommerce_modem_up", (("modem", "m0"),))] == 1
    assert samples[("vigicommerce_api_errors_total", (("code", "alert_not_found"),))] == 1
    assert samples[("vigicommerce_database_free_bytes", ())] > 0
    assert samples[("vigicommerce_database_up", ())] == 1
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert api.client.get("/metrics").status_code == 401


def test_healthz_needs_the_database_and_an_open_modem(api: Api) -> None:
    ok = api.client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    api.modems[0].state = "failed"
    down = api.client.get("/healthz")
    assert down.status_code == 503 and "aucun modem ouvert" in down.json()["reasons"][0]


def test_inbox_lists_replies(api: Api) -> None:
    with session_factory(api.engine).begin() as session:
        for i, kind in enumerate((InboxKind.REPLY, InboxKind.STOP, InboxKind.REPLY)):
            session.add(
                InboxMessage(
                    modem_id="m0",
                    sender="+33639980001",
                    text=f"réponse {i}",
                    kind=kind,
                    received_at=NOW + timedelta(minutes=i),
                    stored_at=NOW,
                    handled=False,
                )
            )
    items = api.client.get("/inbox", headers=api.auth(Role.READ)).json()["items"]
    assert [i["text"] for i in items] == ["réponse 2", "réponse 0"]


def test_modems_show_sim_budgets_and_warn_near_the_limit(api: Api) -> None:
    api.modems[0].budget = SimState(
        imsi="340010123456700",
        budget=SimBudget(messages_per_day=100, recipients_per_month=250),
        sent_today=85,
        recipients_this_month=12,
    )
    budget = api.client.get("/modems", headers=api.auth(Role.READ)).json()["items"][0]["budget"]
    assert budget == [
        # 85 % >= the default 80 %
        {"kind": "messages/jour", "used": 85, "limit": 100, "warning": True, "exhausted": False, "note": None},
        {"kind": "destinataires/mois", "used": 12, "limit": 250, "warning": False, "exhausted": False, "note": None},
    ]
    api.modems[0].budget = dataclasses.replace(api.modems[0].budget, sent_today=100)
    first = api.client.get("/modems", headers=api.auth(Role.READ)).json()["items"][0]["budget"][0]
    assert first["exhausted"] and first["note"] == EXHAUSTED_NOTE
    assert "n'envoie plus que les alertes" in first["note"] and "autres SIM" in first["note"]
