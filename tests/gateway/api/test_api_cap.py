"""POST /alerts with an OASIS CAP 1.2 document: mapping, references, and refusals that write nothing."""

from __future__ import annotations

import pytest

from gateway.api.cap import CapError, parse_cap
from gateway.auth.roles import Role
from tests.gateway.api.harness import Api

NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap(
    identifier: str = "GN-1",
    *,
    msg_type: str = "Alert",
    status: str = "Actual",
    references: str = "",
    infos: str | None = None,
    ns: str = NS,
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    if infos is None:
        infos = info("fr-FR", "Vol signalé à Grand-Case", "grand-case") + info(
            "en-US", "Theft reported in Grand-Case", "grand-case"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><alert xmlns="{ns}"><identifier>{identifier}</identifier>'
        f"<sender>gendarmerie@saint-martin</sender><sent>2026-11-28T11:00:00-04:00</sent><status>{status}</status>"
        f"<msgType>{msg_type}</msgType><scope>Public</scope>{refs}{infos}</alert>"
    ).encode()


def info(language: str, description: str, zone: str) -> str:
    return (
        f"<info><language>{language}</language><category>Security</category><event>Vol</event>"
        f"<urgency>Immediate</urgency><severity>Moderate</severity><certainty>Observed</certainty>"
        f"<description>{description}</description><area><areaDesc>{zone}</areaDesc>"
        f"<geocode><valueName>zone</valueName><value>{zone}</value></geocode></area></info>"
    )


def post(api: Api, body: bytes) -> dict[str, object]:
    response = api.client.post(
        "/alerts", content=body, headers={**api.auth(Role.ALERTS), "Content-Type": "application/cap+xml"}
    )
    return {"status": response.status_code, **response.json()}


def test_cap_alert_then_update_and_cancel_reach_the_original_recipients(api: Api) -> None:
    first = post(api, cap())
    assert first["status"] == 202 and first["numbers"] == 1, first
    assert "Vol signalé à Grand-Case" in str(first["text"]) and "Theft reported" in str(first["text"])
    again = post(api, cap())
    assert again["id"] == first["id"] and again["created"] is False
    ref = "gendarmerie@saint-martin,GN-1,2026-11-28T11:00:00-04:00"
    update = post(api, cap("GN-2", msg_type="Update", references=ref, infos=info("fr", "Suspects partis", "x")))
    assert update["status"] == 202 and update["numbers"] == 1, update
    cancel = post(api, cap("GN-3", msg_type="Cancel", references=ref, infos=info("fr", "Fin d'alerte", "x")))
    assert cancel["status"] == 202, cancel
    assert api.count("SELECT count(*) FROM outbox_message") == 3
    assert api.count("SELECT count(*) FROM alert WHERE references_alert_id IS NOT NULL") == 2


EVIL = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>'
)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (EVIL, 400, None),
        (EXTERNAL, 400, None),
        (b"<alert", 400, None),
        (cap(ns="urn:oasis:names:tc:emergency:cap:1.1"), 422, "alert"),
        (cap(infos=""), 422, "info"),
        (cap(infos=info("en-US", "Only English", "marigot")), 422, "info.language"),
        (cap(infos=info("es-ES", "Robo", "marigot")), 422, "info.language"),
        (cap(status="Draft"), 422, "status"),
        (cap(msg_type="Ack"), 422, "msgType"),
        (cap(msg_type="Update"), 422, "references"),
        (cap(msg_type="Update", references="a,unknown,b", infos=info("fr", "x", "marigot")), 422, "references"),
        (cap(infos=info("fr", "Vol", "atlantide")), 422, "target.zones"),
        # XML 1.0 itself refuses NUL and most C0 controls (400 above); TAB, C1 and bidi overrides pass XML.
        (cap(infos=info("fr", "Vol&#x202E;nul", "marigot")), 422, "text_fr"),
        (cap(infos=info("fr", "Vol", "marigot") + info("en", "Thef&#x85;t", "marigot")), 422, "text_en"),
        (cap(infos=info("fr", "Vol&#x9;nul", "marigot")), 422, "text_fr"),
    ],
)
def test_bad_cap_is_refused_and_nothing_written(api: Api, body: bytes, status: int, field: str | None) -> None:
    result = post(api, body)
    assert result["status"] == status, result
    assert result["error"]["field"] == field, result  # type: ignore[index]
    assert api.count("SELECT count(*) FROM outbox_message") == 0 and api.count("SELECT count(*) FROM alert") == 0


def test_parser_maps_streets_categories_and_territory() -> None:
    body = cap(
        infos=(
            "<info><language>fr</language><headline>Vol</headline>"
            "<parameter><valueName>category</valueName><value>bijouterie</value></parameter>"
            "<area><areaDesc>île</areaDesc><geocode><valueName>whole_territory</valueName><value>true</value></geocode>"
            "</area></info>"
        )
    )
    parsed = parse_cap(body)
    assert (parsed.text_fr, parsed.whole_territory, parsed.categories) == ("Vol", True, ("bijouterie",))
    with pytest.raises(CapError):
        parse_cap(cap(infos="<info><language>fr</language></info>"))


def test_cap_geocodes_take_display_names(api: Api) -> None:
    infos = info("fr-FR", "Vol signalé à Grand-Case", "Grand Case")
    accepted = post(api, cap("GN-NAMES", infos=infos))
    assert accepted["status"] == 202 and accepted["numbers"] == 1, accepted
    miss = post(api, cap("GN-MISS", infos=info("fr-FR", "Vol", "Grand Kase")))
    assert miss["status"] == 422 and "vouliez-vous dire « Grand-Case » ?" in str(miss["error"])
