"""The register over HTTP as the CCISM's software uses it: reference lists with counts, the CCISM's spreadsheet
and its .xlsx twin, exports that read back unchanged, renewal once a day, re-admission, French states."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from gateway.auth.roles import Role
from tests.gateway.api.harness import Api

CCISM = Path(__file__).resolve().parents[3] / "data" / "ccism-export.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_zones_streets_categories_with_counts(api: Api) -> None:
    zones = api.client.get("/zones", headers=api.auth(Role.READ))
    assert zones.status_code == 200
    by_id = {z["id"]: z for z in zones.json()["items"]}
    assert by_id["marigot"] == {"id": "marigot", "name": "Marigot", "members": 2, "receiving": 2}
    assert by_id["grand-case"]["members"] == 1 and by_id["colombier"]["members"] == 0
    streets = api.client.get("/streets", params={"zone": "MARIGOT"}, headers=api.auth(Role.READ)).json()["items"]
    kennedy = next(s for s in streets if s["name"] == "Rue Kennedy")
    assert (kennedy["zone"], kennedy["zone_name"], kennedy["members"]) == ("marigot", "Marigot", 1)
    categories = api.client.get("/categories", headers=api.auth(Role.READ)).json()["items"]
    assert next(c for c in categories if c["id"] == "bijouterie")["members"] == 2
    miss = api.client.get("/streets", params={"zone": "Marigo"}, headers=api.auth(Role.READ))
    assert miss.status_code == 422 and "vouliez-vous dire « Marigot » ?" in miss.json()["error"]["message"]
    assert api.client.get("/zones").status_code == 401


def test_the_ccism_spreadsheet_and_its_xlsx_export_over_http(api: Api) -> None:
    headers = {**api.auth(Role.MEMBERS), "Content-Type": "text/csv"}
    imported = api.client.post("/members/import", content=CCISM.read_bytes(), headers=headers)
    assert imported.status_code == 200, imported.text
    body = imported.json()
    assert (body["created"], body["errors"], body["format"]) == (40, [], "csv windows-1252 ;")
    exported = api.client.get("/members/export", params={"format": "xlsx"}, headers=api.auth(Role.READ))
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[-3:] == ["status", "expires_on", "phone_states"]
    back = api.client.post(
        "/members/import?dry_run=true",
        content=exported.content,
        headers={**api.auth(Role.MEMBERS), "Content-Type": XLSX},
    ).json()
    assert (back["format"], back["unchanged"], back["created"], back["updated"]) == ("xlsx", 43, 0, 0)


def test_renew_once_a_day_unless_forced(api: Api) -> None:
    key = api.sirens[0]
    first = api.client.post(f"/members/{key}/renew", headers=api.auth(Role.MEMBERS)).json()
    second = api.client.post(f"/members/{key}/renew", headers=api.auth(Role.MEMBERS)).json()
    assert (first["renewed"], first["expires_on"]) == (True, "2031-01-10")
    assert (second["renewed"], second["expires_on"], second["old_expires_on"]) == (False, "2031-01-10", "2031-01-10")
    forced = api.client.post(f"/members/{key}/renew?force=true", headers=api.auth(Role.MEMBERS)).json()
    assert (forced["renewed"], forced["expires_on"]) == (True, "2034-01-10")


def test_a_withdrawn_establishment_rejoins_and_a_stopped_number_only_when_listed(api: Api) -> None:
    key = api.sirens[0]
    manage = api.auth(Role.MEMBERS)
    api.client.post(f"/members/{key}/withdraw", json={"reason": "fermeture"}, headers=manage)
    # A STOP on one number, as an SMS would do it.
    from gateway.registry.members import withdraw_number  # noqa: PLC0415

    with api.context.sessions.begin() as session:
        withdraw_number(session, "+33639980002", now=api.context.now(), actor="sms:m0")
    refused = api.client.post("/members", json={
        "siren": key, "name": "Boutique 1", "category": "bijouterie", "zone": "marigot",
        "phones": ["+33639980001"], "registered_on": "2026-11-01",
    }, headers=manage)  # fmt: skip
    assert refused.status_code == 409 and f"/members/{key}/rejoin" in refused.json()["error"]["message"]
    future = api.client.post(f"/members/{key}/rejoin", json={"consent_on": "2099-01-01"}, headers=manage)
    assert future.status_code == 422
    back = api.client.post(f"/members/{key}/rejoin", json={"consent_on": "2026-11-20"}, headers=manage)
    assert back.status_code == 200, back.text
    member = back.json()
    assert (member["status"], member["registered_on"], member["expires_on"]) == ("active", "2026-11-20", "2029-11-20")
    assert [(p["e164"], p["receives_alerts"], p["state"][:9]) for p in member["phones"]] == [
        ("+33639980001", True, "reçoit le"),
        ("+33639980002", False, "retiré le"),
    ]
    number = api.client.post(
        f"/members/{key}/rejoin", json={"consent_on": "2026-11-28", "numbers": ["06 39 98 00 02"]}, headers=manage
    ).json()
    assert [p["receives_alerts"] for p in number["phones"]] == [True, True]
    with api.engine.connect() as conn:
        actions = conn.exec_driver_sql(
            "SELECT action, actor FROM audit_log WHERE subject = ? ORDER BY id", (f"member:{key}",)
        ).all()
    assert [tuple(a) for a in actions][-2:] == [("member.rejoin", "agent-members")] * 2


def test_states_in_french_and_receives_alerts_only_when_it_does(api: Api) -> None:
    key = api.sirens[1]
    api.client.post(f"/members/{key}/withdraw", headers=api.auth(Role.MEMBERS))
    member = api.client.get(f"/members/{key}", headers=api.auth(Role.READ)).json()
    assert (member["status"], member["status_label"], member["receives_alerts"]) == ("withdrawn", "retiré", False)
    assert member["not_receiving_because"] == "retiré du dispositif"
    assert member["phones"][0]["state"] == "ne reçoit pas les alertes (retiré du dispositif)"
