"""/members: search, get, create, update, renew, withdraw, CSV import (dry run and real) and export."""

from __future__ import annotations

import pytest

from gateway.auth.roles import Role
from gateway.registry.fiction import siren_from
from tests.gateway.api.harness import Api

NEW = {
    "siren": siren_from(42),
    "name": "Bijouterie Test",
    "category": "bijouterie",
    "zone": "marigot",
    "street": "Rue Kennedy",
    "phones": ["06 39 98 00 42"],
    "registered_on": "2026-01-05",
}


def members(api: Api) -> int:
    return api.count("SELECT count(*) FROM registry_member")


def test_search_and_get(api: Api) -> None:
    found = api.client.get("/members?zone=marigot", headers=api.auth(Role.READ)).json()["items"]
    assert sorted(m["siren"] for m in found) == sorted(api.sirens[:2])
    by_phone = api.client.get("/members", params={"phone": "+33639980004"}, headers=api.auth(Role.READ)).json()
    assert [m["siren"] for m in by_phone["items"]] == [api.sirens[2]]
    one = api.client.get(f"/members/{api.sirens[0]}", headers=api.auth(Role.READ)).json()
    assert one["street"] == "Rue Kennedy" and [p["e164"] for p in one["phones"]] == ["+33639980001", "+33639980002"]
    missing = api.client.get(f"/members/{siren_from(99)}", headers=api.auth(Role.READ))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "member_not_found"


def test_create_update_renew_withdraw_are_audited_with_the_token_owner(api: Api) -> None:
    created = api.client.post("/members", json=NEW, headers=api.auth(Role.MEMBERS))
    assert created.status_code == 201, created.text
    assert created.json()["phones"] == [
        {"e164": "+33639980042", "withdrawn": False, "receives_alerts": True, "state": "reçoit les alertes"}
    ]
    assert created.json()["expires_on"] == "2029-01-05"
    updated = api.client.patch(f"/members/{NEW['siren']}", json={"zone": "grand-case"}, headers=api.auth(Role.MEMBERS))
    assert updated.status_code == 200 and updated.json()["zone"] == "grand-case" and updated.json()["street"] == ""
    renewed = api.client.post(f"/members/{NEW['siren']}/renew", headers=api.auth(Role.MEMBERS)).json()
    assert renewed["expires_on"] == "2032-01-05"
    gone = api.client.post(
        f"/members/{NEW['siren']}/withdraw", json={"reason": "fermeture"}, headers=api.auth(Role.MEMBERS)
    )
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    again = api.client.post(f"/members/{NEW['siren']}/renew", headers=api.auth(Role.MEMBERS))
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    with api.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT action, actor FROM audit_log WHERE subject = ? ORDER BY id", (f"member:{NEW['siren']}",)
        ).all()
    assert [tuple(r) for r in rows] == [
        (a, "agent-members") for a in ("member.create", "member.update", "member.renew", "member.withdraw")
    ]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"phones": ["05 90 87 00 00"]}, 422, "invalid_phone", "phones"),
        ({"phones": ["pas un numéro"]}, 422, "invalid_phone", "phones"),
        ({"zone": "atlantide"}, 422, "unknown_reference", "zone"),
        ({"street": "Rue Nulle"}, 422, "unknown_reference", "street"),
        ({"category": "casino"}, 422, "unknown_reference", "category"),
        ({"siren": "123456789"}, 422, "invalid_siren", "siren"),
        ({"registered_on": "2099-01-01"}, 422, "invalid_field", "registered_on"),
        ({"registered_on": "hier"}, 422, "invalid_field", "registered_on"),
        ({"colour": "blue"}, 422, "invalid_field", "colour"),
        ({"name": "a" * 201}, 422, "invalid_field", "name"),
        ({"phones": []}, 422, "invalid_field", "phones"),
    ],
)
def test_bad_member_is_refused_and_nothing_written(
    api: Api, change: dict[str, object], status: int, code: str, field: str
) -> None:
    before = (members(api), api.count("SELECT count(*) FROM audit_log"))
    response = api.client.post("/members", json={**NEW, **change}, headers=api.auth(Role.MEMBERS))
    assert response.status_code == status, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert (members(api), api.count("SELECT count(*) FROM audit_log")) == before


def test_lone_surrogate_in_json_is_a_422(api: Api) -> None:
    raw = b'{"name": "\\ud800"}'
    response = api.client.patch(
        f"/members/{api.sirens[0]}", content=raw, headers={**api.auth(Role.MEMBERS), "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "name"


def test_csv_export_then_import_dry_run_and_real(api: Api) -> None:
    exported = api.client.get("/members/export", headers=api.auth(Role.READ))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert len(lines) == 4 and lines[0].startswith("siren,siret,name")
    extra = f"{siren_from(77)},,Nouvelle Boutique,commerce,,,marigot,+33639980077,,2026-02-01"
    body = (exported.text + extra + "\n").encode()
    headers = {**api.auth(Role.MEMBERS), "Content-Type": "text/csv"}
    dry = api.client.post("/members/import?dry_run=true", content=body, headers=headers).json()
    assert (dry["created"], dry["unchanged"], dry["committed"]) == (1, 3, False) and members(api) == 3
    real = api.client.post("/members/import", content=body, headers=headers).json()
    assert (real["created"], real["committed"]) == (1, True) and members(api) == 4
    bad = api.client.post(
        "/members/import", content=body + b"123,,x,commerce,,,nowhere,+33639980078,,2026-01-01\n", headers=headers
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "import_rejected" and members(api) == 4
    neither = api.client.post("/members/import", content=b"SIREN;Nom\n\x81\x8d\n", headers=headers)
    assert neither.status_code == 422 and neither.json()["error"]["code"] == "import_rejected"
    assert "ni en UTF-8 ni en Windows-1252" in neither.json()["error"]["message"]
    json_type = api.client.post(
        "/members/import", content=body, headers={**api.auth(Role.MEMBERS), "Content-Type": "application/json"}
    )
    assert json_type.status_code == 415


def test_establishments_by_siret_and_a_siren_that_needs_one(api: Api) -> None:
    """Two establishments of one business: each by its SIRET; the SIREN alone then asks for the SIRET."""
    from gateway.registry.fiction import siret_from  # noqa: PLC0415

    siren = siren_from(43)
    hotel, restaurant = siret_from(siren, 1), siret_from(siren, 2)
    body = {k: v for k, v in NEW.items() if k != "siren"}
    first = api.client.post("/members", json={**body, "siret": hotel}, headers=api.auth(Role.MEMBERS))
    assert first.status_code == 201, first.text
    assert (first.json()["key"], first.json()["siren"], first.json()["siret"]) == (hotel, siren, hotel)
    by_siren = api.client.get(f"/members/{siren}", headers=api.auth(Role.READ))
    assert by_siren.status_code == 200 and by_siren.json()["siret"] == hotel  # its only establishment
    second = api.client.post(
        "/members",
        json={**body, "siret": restaurant, "zone": "grand-case", "street": "", "phones": ["06 39 98 00 43"]},
        headers=api.auth(Role.MEMBERS),
    )
    assert second.status_code == 201, second.text
    ambiguous = api.client.get(f"/members/{siren}", headers=api.auth(Role.READ))
    assert ambiguous.status_code == 422
    assert ambiguous.json()["error"]["code"] == "siret_required" and restaurant in ambiguous.json()["error"]["message"]
    renewed = api.client.post(f"/members/{restaurant}/renew", headers=api.auth(Role.MEMBERS)).json()
    hotel_now = api.client.get(f"/members/{hotel}", headers=api.auth(Role.READ)).json()
    assert renewed["expires_on"] == "2032-01-05" and hotel_now["expires_on"] == "2029-01-05"
    bad = api.client.post("/members", json={**body, "siret": hotel[:-1] + "0"}, headers=api.auth(Role.MEMBERS))
    assert (bad.status_code, bad.json()["error"]["code"], bad.json()["error"]["field"]) == (
        422,
        "invalid_siret",
        "siret",
    )
    none = api.client.post("/members", json=body, headers=api.auth(Role.MEMBERS))
    assert none.status_code == 422 and none.json()["error"]["field"] == "siret"
