from __future__ import annotations

from drivers import replies


def test_identity_strips_prefix_and_quotes() -> None:
    assert replies.identity(["huawei"]) == "huawei"
    assert replies.identity(['+CGMI: "Quectel"']) == "Quectel"
    assert replies.identity([]) == ""


def test_csq() -> None:
    assert replies.csq_rssi(["+CSQ: 20,99"]) == 20
    assert replies.csq_rssi(["+CSQ: 99,99"]) is None
    assert replies.csq_rssi(["junk"]) is None


def test_creg_query_and_urc_forms() -> None:
    assert replies.creg_query(["+CREG: 0,1"]) == 1
    assert replies.creg_query(['+CREG: 2,5,"00AB","1234"']) == 5
    assert replies.creg_query(["+CREG: 1"]) == 1
    assert replies.creg_status('+CREG: 1,"00AB","1234"', unsolicited=True) == 1
    assert replies.creg_status("+CREG: 0", unsolicited=True) == 0
    assert replies.is_registered(5) and not replies.is_registered(2)


def test_cpin_cops_cmgs() -> None:
    assert replies.cpin_state(["+CPIN: SIM PIN"]) == "SIM PIN"
    assert replies.cops_operator(['+COPS: 0,0,"Orange F",7']) == "Orange F"
    assert replies.cops_operator(["+COPS: 0"]) is None
    assert replies.cmgs_reference(["+CMGS: 12"]) == 12
    assert replies.cmgs_reference(['+CMGS: 3,"24/01/01,10:00:00+04"']) == 3
    assert replies.cmgs_reference([]) is None


def test_storage_lines() -> None:
    assert replies.storage_index('+CMTI: "SM",3') == 3
    assert replies.cmgr_pdu(["+CMGR: 0,,24", "07AB"]) == "07AB"
    assert replies.cmgl_entries(["+CMGL: 1,0,,24", "AA", "+CMGL: 4,1,,30", "BB"]) == [(1, "AA"), (4, "BB")]
