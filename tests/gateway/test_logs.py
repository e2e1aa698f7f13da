import logging

import pytest

from gateway.logs import KeyValueFormatter, event, mask_number, mask_numbers
from gateway.redact import mask_passwords


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33639981234", "+33 6 39 98 ** 34"),
        ("+33639980012", "+33 6 39 98 ** 12"),
    ],
)
def test_mask_number(number: str, masked: str) -> None:
    assert mask_number(number) == masked


def test_mask_keeps_last_two_digits_only() -> None:
    masked = mask_number("+33639985678")
    assert "56" not in masked.replace("+33 6 39 98", "")
    assert masked.endswith("78")


def test_mask_numbers_in_text_leaves_other_digits() -> None:
    text = "sent id=12345 to +33639981234 ref=42"
    assert mask_numbers(text) == "sent id=12345 to +33 6 39 98 ** 34 ref=42"


def record(message: str, **fields: object) -> logging.LogRecord:
    rec = logging.LogRecord("gateway.dispatch", logging.INFO, __file__, 1, message, None, None)
    rec.fields = fields
    return rec


def test_key_value_line_masked() -> None:
    line = KeyValueFormatter(mask=True).format(record("sent", modem="m1", to="+33639981234", text="a b"))
    assert line == 'level=info logger=gateway.dispatch event=sent modem=m1 to="+33 6 39 98 ** 34" text="a b"'


def test_key_value_line_unmasked_in_debug() -> None:
    line = KeyValueFormatter(mask=False).format(record("sent", to="+33639981234"))
    assert "to=+33639981234" in line


def test_event_helper_passes_fields(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("gateway.test")
    with caplog.at_level(logging.INFO):
        event(log, "claimed", count=3)
    assert caplog.records[0].fields == {"count": 3}  # type: ignore[attr-defined]


@pytest.mark.parametrize("mask", [True, False])
def test_passwords_are_masked_at_every_level(mask: bool) -> None:
    """Even at DEBUG (numbers in full), a database password never reaches the journal."""
    url = "postgresql+psycopg://vigi:s3cr%40t@db.example/vigi"
    line = KeyValueFormatter(mask=mask).format(record(f"cannot reach {url}", database=url, error=f"failed: {url}"))
    assert "s3cr" not in line
    assert line.count("postgresql+psycopg://vigi:***@db.example/vigi") == 3


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sqlite:////var/lib/vigicommerce/gateway.db", "sqlite:////var/lib/vigicommerce/gateway.db"),
        ("postgresql://vigi@db/vigi", "postgresql://vigi@db/vigi"),  # no password: nothing to hide
        ("postgresql://vigi:pw@db/vigi and mysql://u:p@h/d", "postgresql://vigi:***@db/vigi and mysql://u:***@h/d"),
        ("postgresql+psycopg://:pw@/vigi?host=/run/postgresql", "postgresql+psycopg://:***@/vigi?host=/run/postgresql"),
    ],
)
def test_mask_passwords(text: str, shown: str) -> None:
    assert mask_passwords(text) == shown
