"""Side effects handed to the background thread happen, in order, batched where asked."""

from __future__ import annotations

import threading

from helpdesk import background


def test_items_given_within_the_linger_reach_one_call_in_order(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    runner = background._Runner()
    calls, done = [], threading.Event()

    def handle(items):
        calls.append(items)
        done.set()

    for n in range(5):
        runner.submit_batched("acks", handle, n, linger=0.2)
    assert done.wait(5)
    runner.submit_batched("acks", handle, 5, linger=0)  # after the flush: a call of its own
    runner.drain()
    assert calls == [[0, 1, 2, 3, 4], [5]]


def test_batches_of_different_keys_stay_apart(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    runner = background._Runner()
    calls = []
    runner.submit_batched("desk 1", calls.append, "a", linger=0.05)
    runner.submit_batched("desk 2", calls.append, "b", linger=0.05)
    runner.submit_batched("desk 1", calls.append, "c", linger=0.05)
    runner.drain()
    assert calls == [["a", "c"], ["b"]]
