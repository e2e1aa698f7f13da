"""Random bytes never break a modem: afterwards ``AT`` still answers ``OK``."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.app import Simulator
from simulator.testing import AtTerminal, Harness

# What a careful client sends to get back to a known state: leave any prompt, end any line,
# restore result codes (random bytes may contain ATQ1 or ATV0).
RECOVER = b"\x1b\r\nATQ0V1\r"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=800))
def test_random_bytes_on_the_pure_modem(data: bytes) -> None:
    h = Harness()
    h.send(data)
    h.send(RECOVER)
    h.at("ATE0")
    assert h.at("AT") == b"\r\nOK\r\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=400))
def test_random_bytes_through_the_pty(simulator: Simulator, data: bytes) -> None:
    with AtTerminal(simulator.modems[1].device_path) as term:
        term.write(data)
        term.write(RECOVER + b"ATE0;+CGSN\r")
        # Skip whatever the random bytes provoked, up to the answer that only our command gets.
        term.read_until(rb"356938035643801\r\n\r\nOK\r\n", timeout=5)
        assert term.command("AT", timeout=5) == b"\r\nOK\r\n"
