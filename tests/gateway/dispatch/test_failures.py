"""Every error a submit can raise, read as the message's, the network's or the modem's fault."""

from __future__ import annotations

import pytest

from drivers.errors import (
    CommandFailed,
    InvalidMessage,
    ModemError,
    ModemGone,
    ModemTimeout,
    NotRegistered,
    PinRequired,
    SimFailure,
    SubmitOutcomeUnknown,
    SubmitRejected,
    partial_submit,
)
from gateway.dispatch.failures import Failure, classify

F = Failure
TABLE: list[tuple[str, ModemError, Failure]] = [
    ("unassigned number", SubmitRejected("x", code=1), F.MESSAGE_REJECTED),
    ("transfer rejected", SubmitRejected("x", code=21), F.MESSAGE_REJECTED),
    ("unidentified subscriber", SubmitRejected("x", code=28), F.MESSAGE_REJECTED),
    ("our PDU is wrong", SubmitRejected("x", code=304), F.MESSAGE_REJECTED),
    ("cannot encode", InvalidMessage("x"), F.MESSAGE_INVALID),
    ("destination out of order", SubmitRejected("x", code=27), F.NETWORK_TEMPORARY),
    ("network out of order", SubmitRejected("x", code=38), F.NETWORK_TEMPORARY),
    ("temporary failure", SubmitRejected("x", code=41), F.NETWORK_TEMPORARY),
    ("congestion", SubmitRejected("x", code=42), F.NETWORK_TEMPORARY),
    ("network timeout", SubmitRejected("x", code=332), F.NETWORK_TEMPORARY),
    ("unknown error", SubmitRejected("x", code=500), F.NETWORK_TEMPORARY),
    ("plain ERROR to AT+CMGS (a reset modem with CMEE=0)", SubmitRejected("x", code=None), F.MODEM_ERROR),
    ("plain ERROR from the transport", CommandFailed("AT+CMGS=20", "ERROR"), F.MODEM_ERROR),
    ("SIM not inserted", CommandFailed("AT+CMGS=20", "+CME ERROR: 10", kind="CME", code=10), F.MODEM_SIM),
    ("SIM PIN required", CommandFailed("AT+CMGS=20", "+CME ERROR: 11", kind="CME", code=11), F.MODEM_SIM),
    ("SIM PUK required", CommandFailed("AT+CMGS=20", "+CME ERROR: 12", kind="CME", code=12), F.MODEM_SIM),
    ("SIM busy", CommandFailed("AT+CMGS=20", "+CME ERROR: 14", kind="CME", code=14), F.MODEM_SIM),
    ("PUK2", CommandFailed("AT+CMGS=20", "+CME ERROR: 18", kind="CME", code=18), F.MODEM_SIM),
    ("another CME error", CommandFailed("AT+CMGS=20", "+CME ERROR: 3", kind="CME", code=3), F.MODEM_ERROR),
    ("SIM not inserted (CMS)", SubmitRejected("x", code=310), F.MODEM_SIM),
    ("SIM PIN required (CMS)", SubmitRejected("x", code=311), F.MODEM_SIM),
    ("SIM PUK required (CMS)", SubmitRejected("x", code=316), F.MODEM_SIM),
    ("SIM PUK2 (CMS)", SubmitRejected("x", code=318), F.MODEM_SIM),
    ("ME failure", SubmitRejected("x", code=300), F.MODEM_ERROR),
    ("operation not allowed", SubmitRejected("x", code=302), F.MODEM_ERROR),
    ("memory full", SubmitRejected("x", code=322), F.MODEM_ERROR),
    ("SMSC address unknown", SubmitRejected("x", code=330), F.MODEM_ERROR),
    ("no network service", SubmitRejected("x", code=331), F.MODEM_NOT_REGISTERED),
    ("not registered at open", NotRegistered("x"), F.MODEM_NOT_REGISTERED),
    ("PIN asked again", PinRequired("x", retryable=True), F.MODEM_SIM),
    ("no SIM", SimFailure("x"), F.MODEM_SIM),
    ("port vanished before the PDU", ModemGone("x"), F.MODEM_GONE),
    ("no prompt, no answer", ModemTimeout("x"), F.MODEM_SILENT),
    ("PDU written, no answer", SubmitOutcomeUnknown("x"), F.AMBIGUOUS),
    ("some other driver error", ModemError("x"), F.MODEM_ERROR),
    (
        "segment 2 refused for now",
        partial_submit(SubmitRejected("x", code=42), references_sent=(7,), segments=3),
        F.NETWORK_TEMPORARY,
    ),
    ("segment 2: port gone", partial_submit(ModemGone("x"), references_sent=(7,), segments=2), F.MODEM_GONE),
    (
        "segment 2 written, no answer",
        partial_submit(SubmitOutcomeUnknown("x"), references_sent=(7,), segments=2),
        F.AMBIGUOUS,
    ),
]


@pytest.mark.parametrize(("case", "error", "failure"), TABLE, ids=[t[0] for t in TABLE])
def test_classify(case: str, error: ModemError, failure: Failure) -> None:
    assert classify(error) is failure


@pytest.mark.parametrize(
    ("failure", "modem_level"),
    [
        (F.MESSAGE_REJECTED, False),
        (F.MESSAGE_INVALID, False),
        (F.NETWORK_TEMPORARY, False),
        (F.MODEM_SIM, True),
        (F.MODEM_NOT_REGISTERED, True),
        (F.MODEM_ERROR, True),
        (F.MODEM_GONE, True),
        (F.MODEM_SILENT, True),
        (F.AMBIGUOUS, False),
    ],
)
def test_who_is_at_fault(failure: Failure, modem_level: bool) -> None:
    assert failure.modem_level is modem_level


def test_names_are_stable_for_logs_and_metrics() -> None:
    assert [f.value for f in Failure] == [
        "message_rejected",
        "message_invalid",
        "network_temporary",
        "modem_sim",
        "modem_not_registered",
        "modem_error",
        "modem_gone",
        "modem_silent",
        "ambiguous",
    ]
