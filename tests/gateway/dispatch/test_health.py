"""When a modem leaves service: the health rule fed outcomes, with time passed in."""

from __future__ import annotations

import random

from drivers.backoff import Backoff
from gateway.dispatch.failures import Failure
from gateway.dispatch.health import ModemHealth

F = Failure
BACKOFF = Backoff(initial=1.0, factor=2.0, max=60.0, jitter=0.0)


def health(same: int = 3) -> ModemHealth:
    return ModemHealth(BACKOFF, same_failures=same, rng=random.Random(1))


def test_a_modem_level_failure_takes_the_modem_out_at_once() -> None:
    for failure in (F.MODEM_SIM, F.MODEM_NOT_REGISTERED, F.MODEM_ERROR, F.MODEM_GONE, F.MODEM_SILENT):
        verdict = health().failed(failure, None, 1, now=10.0, peers_sent_at=None)
        assert verdict.leave and verdict.out_for == 1.0 and failure.value in verdict.reason


def test_the_same_refusal_on_three_different_messages_while_others_send() -> None:
    h = health()
    assert not h.failed(F.NETWORK_TEMPORARY, 42, 1, now=10.0, peers_sent_at=10.1).leave
    assert not h.failed(F.NETWORK_TEMPORARY, 42, 2, now=10.3, peers_sent_at=10.2).leave
    verdict = h.failed(F.NETWORK_TEMPORARY, 42, 3, now=10.6, peers_sent_at=10.5)
    assert verdict.leave and verdict.out_for == 1.0
    assert verdict.victims == (1, 2)  # waiting their back-off for the modem's failure: due again at once
    assert verdict.reason == "network_temporary 42 on 3 messages in a row while other modems send"


def test_the_same_message_failing_again_is_not_three_messages() -> None:
    h = health()
    for _ in range(5):
        assert not h.failed(F.NETWORK_TEMPORARY, 42, 7, now=10.0, peers_sent_at=11.0).leave


def test_when_every_modem_fails_alike_it_is_the_network_not_this_modem() -> None:
    h = health()
    for message_id in range(1, 10):  # nobody else sent since the streak began (or there is nobody else)
        assert not h.failed(F.NETWORK_TEMPORARY, 42, message_id, now=20.0 + message_id, peers_sent_at=5.0).leave
    assert not health().failed(F.NETWORK_TEMPORARY, 42, 1, now=1.0, peers_sent_at=None).leave


def test_different_refusals_do_not_add_up() -> None:
    h = health()
    for message_id, code in enumerate([42, 38, 42, 38, 41], start=1):
        assert not h.failed(F.NETWORK_TEMPORARY, code, message_id, now=10.0, peers_sent_at=11.0).leave


def test_a_barred_sim_refusing_every_message_for_good_is_the_modem() -> None:
    h = health()
    verdicts = [h.failed(F.MESSAGE_REJECTED, 21, i, now=10.0, peers_sent_at=11.0).leave for i in (1, 2, 3)]
    assert verdicts == [False, False, True]


def test_back_from_a_trip_one_more_failure_and_it_is_out_again_longer() -> None:
    h = health()
    out = [h.failed(F.NETWORK_TEMPORARY, 42, i, now=10.0, peers_sent_at=11.0) for i in (1, 2, 3)][-1]
    assert out.leave and out.out_for == 1.0
    # Half-open: the first message after coming back fails the same way.
    again = h.failed(F.NETWORK_TEMPORARY, 42, 4, now=12.0, peers_sent_at=11.5)
    assert again.leave and again.out_for == 2.0
    assert h.failed(F.MODEM_SIM, None, 5, now=15.0, peers_sent_at=None).out_for == 4.0
    h.succeeded()  # one submit through: healthy again, the whole count starts over
    assert h.trips == 0
    assert not h.failed(F.NETWORK_TEMPORARY, 42, 6, now=20.0, peers_sent_at=21.0).leave
    assert h.failed(F.MODEM_GONE, None, 7, now=30.0, peers_sent_at=None).out_for == 1.0


def test_an_ambiguous_submit_is_judged_by_the_health_check_not_here() -> None:
    h = health(same=1)
    assert not h.failed(F.AMBIGUOUS, None, 1, now=10.0, peers_sent_at=11.0).leave


def test_a_text_we_cannot_encode_says_nothing_about_the_modem() -> None:
    h = health(same=1)
    assert not any(h.failed(F.MESSAGE_INVALID, None, i, now=10.0, peers_sent_at=11.0).leave for i in range(5))


def test_the_breaker_saturates_at_the_maximum() -> None:
    h = health()
    delays = [h.failed(F.MODEM_ERROR, None, i, now=float(i), peers_sent_at=None).out_for for i in range(10)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]
