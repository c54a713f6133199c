"""Issue 2, item 7: a message a projection cannot apply is sent back with a back-off that grows with its deliveries
and stops growing at the last step (the bound on deliveries is tested on a real server in tests/integration)."""

from __future__ import annotations

from handlers.projector import RETRY_DELAYS, retry_delay


def test_back_off_grows_with_each_failed_delivery():
    delays = [retry_delay(delivered) for delivered in range(1, len(RETRY_DELAYS) + 1)]

    assert delays == sorted(delays) and len(set(delays)) == len(delays)


def test_back_off_stays_at_its_last_step_after_many_deliveries():
    assert retry_delay(100) == RETRY_DELAYS[-1]


def test_back_off_is_never_zero_so_a_failing_message_cannot_hot_loop():
    assert min(retry_delay(delivered) for delivered in range(0, 10)) > 0
