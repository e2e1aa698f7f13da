from __future__ import annotations

import pytest

from drivers.errors import (
    PERMANENT_CMS_CODES,
    RETRYABLE_CMS_CODES,
    CommandFailed,
    ModemGone,
    ModemTimeout,
    PartialSubmit,
    SubmitOutcomeUnknown,
    SubmitRejected,
    classify_cms,
    partial_submit,
    redact,
)


@pytest.mark.parametrize("code", [1, 8, 10, 21, 28, 29, 50, 96, 304])
def test_recipient_or_message_faults_are_permanent(code: int) -> None:
    assert classify_cms(code) is False
    assert SubmitRejected("x", code=code).retryable is False


@pytest.mark.parametrize("code", [38, 41, 42, 47, 330, 331, 332, 500, 512, 999])
def test_network_and_modem_faults_are_retryable(code: int) -> None:
    assert classify_cms(code) is True
    assert SubmitRejected("x", code=code).retryable is True


def test_the_documented_tables_do_not_overlap() -> None:
    assert not PERMANENT_CMS_CODES & RETRYABLE_CMS_CODES
    assert all(classify_cms(c) for c in RETRYABLE_CMS_CODES)


def test_bare_error_is_retryable_and_outcome_unknown_is_not() -> None:
    assert SubmitRejected("ERROR", code=None).retryable is True
    assert SubmitOutcomeUnknown("x").retryable is False
    assert ModemTimeout("x").retryable is True


def test_partial_submit_carries_references_and_follows_its_cause() -> None:
    err = PartialSubmit(SubmitRejected("x", code=21), references_sent=(4, 5), segments=3)
    assert (err.references_sent, err.segments, err.retryable, err.code) == ((4, 5), 3, False, 21)
    assert PartialSubmit(SubmitRejected("x", code=42), references_sent=(4,), segments=2).retryable is True


def test_partial_submit_also_matches_its_cause_class() -> None:
    unknown = partial_submit(SubmitOutcomeUnknown("x"), references_sent=(1,), segments=2)
    assert isinstance(unknown, SubmitOutcomeUnknown) and isinstance(unknown, PartialSubmit)
    assert unknown.retryable is False
    gone = partial_submit(ModemGone("x"), references_sent=(1,), segments=2)
    assert isinstance(gone, ModemGone) and gone.retryable is True
    assert isinstance(partial_submit(ModemTimeout("x"), references_sent=(1,), segments=3), ModemTimeout)
    rejected = partial_submit(SubmitRejected("x", code=1), references_sent=(1,), segments=2)
    assert type(rejected) is PartialSubmit and rejected.retryable is False


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ('AT+CPIN="1234"', "AT+CPIN=****"),
        ('AT+CPIN="12345678","4321"', "AT+CPIN=****"),
        ("AT+CPIN?", "AT+CPIN?"),
        ("AT+CMGS=22", "AT+CMGS=22"),
    ],
)
def test_a_pin_never_shows_in_an_error(command: str, shown: str) -> None:
    assert redact(command) == shown
    failed = CommandFailed(command, "+CME ERROR: 16", kind="CME", code=16)
    assert failed.command == shown and shown in str(failed) and "1234" not in str(failed)
