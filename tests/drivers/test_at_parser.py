from __future__ import annotations

from drivers.at_parser import AtParser, Garbage, Prompt, Response, Urc, command_prefix


def feed_all(parser: AtParser, *chunks: bytes) -> list[object]:
    out: list[object] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


def test_simple_answer_and_echo_skipped() -> None:
    p = AtParser()
    p.begin("AT+CSQ")
    out = feed_all(p, b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
    assert out == [Response("AT+CSQ", ("+CSQ: 20,99",), "OK", True)]
    assert p.pending is None


def test_urc_in_the_middle_of_a_command_is_kept_out_of_its_answer() -> None:
    p = AtParser()
    p.begin("AT+CSQ")
    out = feed_all(p, b"\r\n+CSQ: 18,", b'99\r\n\r\n+CMTI: "SM",3\r\n', b"\r\nOK\r\n")
    assert out == [Urc("+CMTI", ('+CMTI: "SM",3',)), Response("AT+CSQ", ("+CSQ: 18,99",), "OK", True)]


def test_two_line_urcs_take_their_pdu_line_even_during_a_command() -> None:
    p = AtParser()
    p.begin("AT+CGMI")
    out = feed_all(p, b"\r\n+CDS: 25\r\n0006D10B91\r\nhuawei\r\nOK\r\n")
    assert out == [Urc("+CDS", ("+CDS: 25", "0006D10B91")), Response("AT+CGMI", ("huawei",), "OK", True)]


def test_lines_with_the_commands_own_prefix_belong_to_it() -> None:
    p = AtParser()
    p.begin("AT+CREG?")
    assert feed_all(p, b"+CREG: 0,1\r\nOK\r\n") == [Response("AT+CREG?", ("+CREG: 0,1",), "OK", True)]
    # Without a command, the same prefix is an URC.
    assert feed_all(p, b"+CREG: 2\r\n") == [Urc("+CREG", ("+CREG: 2",))]


def test_cmgs_prompt_then_reference() -> None:
    p = AtParser()
    p.begin("AT+CMGS=20", expect_prompt=True)
    assert feed_all(p, b"\r\n> ") == [Prompt()]
    p.sent_payload("0011AB")
    out = feed_all(p, b"0011AB\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n")
    assert out == [Garbage(b"0011AB\x1a"), Response("AT+CMGS=20", ("+CMGS: 7",), "OK", True)]


def test_errors_carry_kind_and_code() -> None:
    p = AtParser()
    p.begin("AT+CMGS=20")
    assert feed_all(p, b"+CMS ERROR: 42\r\n") == [Response("AT+CMGS=20", (), "+CMS ERROR: 42", False, "CMS", 42)]
    p.begin("AT+CPIN?")
    assert feed_all(p, b"+CME ERROR: SIM not inserted\r\n") == [
        Response("AT+CPIN?", (), "+CME ERROR: SIM not inserted", False, "CME", None)
    ]
    p.begin("AT+X")
    assert feed_all(p, b"ERROR\r\n") == [Response("AT+X", (), "ERROR", False)]


def test_late_cmgs_after_abandon_is_an_urc_and_its_ok_does_not_end_the_next_command() -> None:
    p = AtParser()
    p.begin("AT+CMGS=20", expect_prompt=True)
    feed_all(p, b"> ")
    p.abandon()
    p.begin("AT+CSQ")
    out = feed_all(p, b"\r\n+CMGS: 9\r\n\r\nOK\r\n+CSQ: 5,99\r\nOK\r\n")
    assert out == [Urc("+CMGS", ("+CMGS: 9",)), Response("AT+CSQ", ("+CSQ: 5,99",), "OK", True)]


def test_stray_final_without_command_is_dropped() -> None:
    p = AtParser()
    assert feed_all(p, b"OK\r\n") == []


def test_garbage_bytes_are_reported_and_stripped_not_fatal() -> None:
    p = AtParser()
    p.begin("AT")
    out = feed_all(p, b"\xff\xfe\x00\x81\r\n", b"\x92OK\r\n")
    assert out == [Garbage(b"\xff\xfe\x00\x81"), Garbage(b"\x92OK"), Response("AT", (), "OK", True)]


def test_huawei_noise_and_unknown_lines() -> None:
    p = AtParser()
    out = feed_all(p, b"^RSSI:14\r\n^BOOT:1,0,0,4,0\r\nRING\r\nsomething odd\r\n")
    assert out == [
        Urc("^RSSI", ("^RSSI:14",)),
        Urc("^BOOT", ("^BOOT:1,0,0,4,0",)),
        Urc("RING", ("RING",)),
        Urc("something odd", ("something odd",), known=False),
    ]
    p.begin("AT+CGMM")
    out = feed_all(p, b"^MODE:5,4\r\nE3531\r\nOK\r\n")
    assert out == [Urc("^MODE", ("^MODE:5,4",)), Response("AT+CGMM", ("E3531",), "OK", True)]


def test_reset_drops_partial_state() -> None:
    p = AtParser()
    p.begin("AT")
    feed_all(p, b"+CMT: ,24\r\n")
    p.reset()
    p.begin("AT")
    assert feed_all(p, b"OK\r\n") == [Response("AT", (), "OK", True)]


def test_command_prefix() -> None:
    assert command_prefix("AT+CMGS=23") == "+CMGS"
    assert command_prefix("at+creg?") == "+CREG"
    assert command_prefix("AT^SYSINFO") == "^SYSINFO"
    assert command_prefix("ATE0") is None
