"""POST /alerts (JSON), previews, idempotency, progress, cancel, paging, and every bad input writing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.auth.roles import Role
from tests.gateway.api.harness import Api


def drop(api: Api, body: Any, *, role: Role = Role.ALERTS, **headers: str) -> Any:
    return api.client.post("/alerts", json=body, headers={**api.auth(role), **headers})


def outbox_rows(api: Api) -> int:
    return api.count("SELECT count(*) FROM outbox_message")


def test_drop_fans_out_to_the_zone_and_names_the_token_owner(api: Api) -> None:
    response = drop(
        api, {"text_fr": "Vol à l'arraché rue Kennedy", "text_en": "Bag snatching", "target": {"zones": ["marigot"]}}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["location"] == f"/alerts/{body['id']}" == body["location"]
    assert (body["members"], body["numbers"], body["created"]) == (2, 3, True)
    with api.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT recipient, text FROM outbox_message ORDER BY recipient").all()
        actor = conn.exec_driver_sql("SELECT actor FROM audit_log WHERE action = 'alert.alert'").scalar_one()
    assert [r[0] for r in rows] == ["+33639980001", "+33639980002", "+33639980003"]
    assert {r[1] for r in rows} == {body["text"]}
    assert "Vol à l'arraché rue Kennedy" in body["text"] and "Bag snatching" in body["text"]
    assert actor == "agent-alerts"
    detail = api.client.get(f"/alerts/{body['id']}", headers=api.auth(Role.READ)).json()
    assert detail["sender"] == "agent-alerts" and detail["target"]["zones"] == ["marigot"]
    assert detail["progress"]["total"] == 3 and detail["progress"]["queued"] == 3
    assert detail["progress"]["percent_done"] == 0.0


def test_streets_and_categories_narrow_the_target(api: Api) -> None:
    body = drop(api, {"text_fr": "Suspects", "target": {"streets": ["Rue Kennedy"]}}).json()
    assert body["numbers"] == 2
    body = drop(api, {"text_fr": "Bijoux", "target": {"whole_territory": True, "categories": ["bijouterie"]}}).json()
    assert body["numbers"] == 3


def test_dry_run_previews_and_writes_nothing(api: Api) -> None:
    for response in (
        drop(api, {"text_fr": "Test", "target": {"zones": ["marigot"]}, "dry_run": True}),
        api.client.post(
            "/alerts?dry_run=true", json={"text_fr": "Test", "target": {"zones": ["marigot"]}}, headers=api.auth()
        ),
    ):
        assert response.status_code == 200, response.text
        assert response.json()["numbers"] == 3 and response.json()["segments"] == 1
    assert outbox_rows(api) == 0 and api.count("SELECT count(*) FROM alert") == 0


def test_same_idempotency_key_returns_the_same_alert_and_sends_once(api: Api) -> None:
    body = {"text_fr": "Alerte", "target": {"zones": ["grand-case"]}}
    first = drop(api, body, **{"Idempotency-Key": "op-42"})
    second = drop(api, body, **{"Idempotency-Key": "op-42"})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    assert outbox_rows(api) == 1
    conflict = drop(api, {**body, "text_fr": "Autre"}, **{"Idempotency-Key": "op-42"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert outbox_rows(api) == 1


def test_update_and_cancel_reach_the_original_recipients(api: Api) -> None:
    original = drop(api, {"text_fr": "Alerte", "target": {"zones": ["grand-case"]}}).json()
    update = drop(api, {"text_fr": "Suite", "type": "update", "references": original["id"]})
    assert update.status_code == 202 and update.json()["numbers"] == 1
    missing = drop(api, {"text_fr": "Suite", "type": "update", "references": 999})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "references"


def test_cancel_stops_what_is_queued(api: Api) -> None:
    created = drop(api, {"text_fr": "Alerte", "target": {"zones": ["marigot"]}}).json()
    refused = api.client.post(f"/alerts/{created['id']}/cancel", headers=api.auth(Role.READ))
    assert refused.status_code == 403
    response = api.client.post(f"/alerts/{created['id']}/cancel", headers=api.auth(Role.ALERTS))
    assert response.status_code == 200 and response.json()["cancelled"] == 3
    progress = api.client.get(f"/alerts/{created['id']}", headers=api.auth()).json()["progress"]
    assert progress["cancelled"] == 3 and progress["percent_done"] == 100.0
    assert api.client.post("/alerts/777/cancel", headers=api.auth()).status_code == 404


def test_recent_alerts_are_paged(api: Api) -> None:
    ids = [drop(api, {"text_fr": f"Alerte {i}", "target": {"zones": ["marigot"]}}).json()["id"] for i in range(3)]
    page = api.client.get("/alerts?limit=2", headers=api.auth(Role.READ)).json()
    assert [a["id"] for a in page["items"]] == ids[:0:-1] and page["next_before"] == ids[1]
    rest = api.client.get(f"/alerts?limit=2&before={page['next_before']}", headers=api.auth(Role.READ)).json()
    assert [a["id"] for a in rest["items"]] == [ids[0]] and rest["next_before"] is None
    assert api.client.get("/alerts/12345", headers=api.auth()).json()["error"]["code"] == "alert_not_found"


BAD: list[tuple[str, Any, int, str, str | None]] = [
    ("unknown zone", {"text_fr": "x", "target": {"zones": ["atlantide"]}}, 422, "unknown_reference", "target.zones"),
    (
        "unknown street",
        {"text_fr": "x", "target": {"streets": ["Rue Nulle"]}},
        422,
        "unknown_reference",
        "target.streets",
    ),
    (
        "unknown category",
        {"text_fr": "x", "target": {"zones": ["marigot"], "categories": ["casino"]}},
        422,
        "unknown_reference",
        "target.categories",
    ),
    ("empty target", {"text_fr": "x"}, 422, "invalid_target", "target"),
    ("nobody there", {"text_fr": "x", "target": {"zones": ["bellevue"]}}, 422, "no_recipients", "target"),
    ("too long", {"text_fr": "é" * 1000, "target": {"zones": ["marigot"]}}, 422, "text_too_long", "text_fr"),
    ("too long field", {"text_fr": "a" * 2001, "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    (
        "unknown field",
        {"text_fr": "x", "target": {"zones": ["marigot"]}, "urgent": True},
        422,
        "invalid_field",
        "urgent",
    ),
    ("nested unknown field", {"text_fr": "x", "target": {"zone": ["marigot"]}}, 422, "invalid_field", "target.zone"),
    ("wrong type", {"text_fr": 12, "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    (
        "wrong status",
        {"text_fr": "x", "status": "draft", "target": {"zones": ["marigot"]}},
        422,
        "invalid_field",
        "status",
    ),
    ("missing text", {"target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    ("not an object", [1, 2], 422, "invalid_field", None),
    ("lone surrogate", None, 400, "json_invalid", None),
    ("NUL", {"text_fr": "Vol\u0000nul", "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    ("BEL", {"text_fr": "Vol\u0007", "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    ("ESC", {"text_fr": "\u001b[31mVol", "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    ("C1", {"text_fr": "Vol\u0085", "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    ("non-character", {"text_fr": "Vol\uffff", "target": {"zones": ["marigot"]}}, 422, "invalid_field", "text_fr"),
    (
        "bidi override in English",
        {"text_fr": "Vol", "text_en": "Theft \u202eteerts", "target": {"zones": ["marigot"]}},
        422,
        "invalid_field",
        "text_en",
    ),
]


@pytest.mark.parametrize(("case", "body", "status", "code", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_json_is_refused_with_the_field_and_nothing_written(
    api: Api, case: str, body: Any, status: int, code: str, field: str | None
) -> None:
    raw = (
        json.dumps(body) if body is not None else '{"text_fr": "\\ud800", "target": {"zones": ["marigot"]}}'
    ).encode()
    response = api.client.post("/alerts", content=raw, headers={**api.auth(), "Content-Type": "application/json"})
    assert response.status_code == status, (case, response.text)
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]
    assert outbox_rows(api) == 0 and api.count("SELECT count(*) FROM alert") == 0


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"text_fr": "x", ', "application/json", 400, "json_invalid"),
        ('{"text_fr": "caf\u00e9"}'.encode("latin-1"), "application/json", 400, "not_utf8"),
        (b'{"text_fr": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"text_fr": "' + b"a" * 300_000 + b'"}', "application/json", 413, "body_too_large"),
    ],
)
def test_unreadable_bodies(api: Api, raw: bytes, content_type: str, status: int, code: str) -> None:
    response = api.client.post("/alerts", content=raw, headers={**api.auth(), "Content-Type": content_type})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert outbox_rows(api) == 0


def test_bad_idempotency_key_is_refused(api: Api) -> None:
    response = drop(api, {"text_fr": "x", "target": {"zones": ["marigot"]}}, **{"Idempotency-Key": "a" * 201})
    assert response.status_code == 422 and response.json()["error"]["field"] == "Idempotency-Key"
    assert outbox_rows(api) == 0


def test_unprintable_text_is_named_with_its_position_and_crlf_becomes_lf(api: Api) -> None:
    refused = drop(api, {"text_fr": "Vol\u0000nul", "target": {"zones": ["marigot"]}})
    message = refused.json()["error"]["message"]
    assert "position 4" in message and "U+0000 NUL" in message, message
    accepted = drop(api, {"text_fr": "Vol\r\nrue Kennedy\rMarigot", "target": {"zones": ["marigot"]}})
    assert accepted.status_code == 202, accepted.text
    with api.engine.connect() as conn:
        texts = {t for (t,) in conn.exec_driver_sql("SELECT text FROM outbox_message")}
    assert texts == {"Gendarmerie - Vigicommerce : Vol\nrue Kennedy\nMarigot"}


def test_preview_lists_what_gsm_folding_changed(api: Api) -> None:
    body = drop(api, {"text_fr": "« Vol » à l’étalage", "target": {"zones": ["marigot"]}, "dry_run": True}).json()
    assert body["encoding"] == "gsm7" and body["text"] == 'Gendarmerie - Vigicommerce : " Vol " à l\'étalage'
    assert body["folded"] == [
        {"original": "«", "replacement": '"'},
        {"original": "»", "replacement": '"'},
        {"original": "’", "replacement": "'"},
    ]
    # With an emoji the text needs UCS-2 anyway: sent exact, nothing folded.
    exact = drop(api, {"text_fr": "« Vol » 🚨", "target": {"zones": ["marigot"]}, "dry_run": True}).json()
    assert (exact["encoding"], exact["text"], exact["folded"]) == (
        "ucs2",
        "Gendarmerie - Vigicommerce : « Vol » 🚨",
        [],
    )


def test_targets_by_display_names_any_case(api: Api) -> None:
    by_name = drop(api, {"text_fr": "Suspects", "target": {"zones": ["MARIGOT"]}, "dry_run": True})
    assert by_name.status_code == 200 and by_name.json()["numbers"] == 3
    street = drop(api, {"text_fr": "Suspects", "target": {"streets": ["rue kennedy"]}, "dry_run": True})
    assert street.status_code == 200 and street.json()["numbers"] == 2
    miss = drop(api, {"text_fr": "Suspects", "target": {"zones": ["Marigo"]}})
    assert miss.status_code == 422
    assert miss.json()["error"]["field"] == "target.zones"
    assert "vouliez-vous dire « Marigot » ?" in miss.json()["error"]["message"]
    assert outbox_rows(api) == 0
