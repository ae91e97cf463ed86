"""Side effects that must not hold up the request or task that caused them.

Queueing a Celery task costs a Redis round trip (about 0.5 ms), and with Redis down the
client retries for up to seconds. A committed change must not wait for that: the call is
handed to one thread per process, which runs such calls in order. What is lost if the
process dies first is made good by the periodic sweeps (acknowledgements, for example).

`submit_batched` gathers items for a moment and makes one call with all of them: a burst of
new tickets queues one acknowledgement task per desk and moment, not one per ticket (each
queued task costs the process about a millisecond of CPU, as much as storing the ticket).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class QueueThread:
    """A queue and the one daemon thread per process that works through it, in order.

    Subclasses say what the thread does with the queue (`_run`); `drain` waits for it.
    """

    def __init__(self, name: str, maxsize: int = 0) -> None:
        self._name, self._maxsize = name, maxsize
        self._lock = threading.Lock()
        self._queue: queue.Queue | None = None
        self._pid = 0
        atexit.register(self.drain)

    def _started(self) -> queue.Queue:
        with self._lock:
            # A forked child (a Celery prefork worker) inherits no running thread: start anew.
            if self._queue is None or self._pid != os.getpid():
                self._queue, self._pid = queue.Queue(self._maxsize), os.getpid()
                self._forget_parent()
                threading.Thread(
                    target=self._run, args=(self._queue,), name=self._name, daemon=True
                ).start()
            return self._queue

    def _forget_parent(self) -> None:
        """Drop what a forked child inherited besides the queue (called under the lock)."""

    def _run(self, waiting: queue.Queue) -> None:
        raise NotImplementedError

    def drain(self, timeout: float = 2.0) -> None:
        """Wait (briefly) for what is still queued, e.g. before the process exits."""
        waiting = self._queue
        if waiting is None or self._pid != os.getpid():
            return
        done = threading.Event()
        threading.Thread(target=lambda: (waiting.join(), done.set()), daemon=True).start()
        done.wait(timeout)


class _Runner(QueueThread):
    def __init__(self) -> None:
        self._batches: dict[Hashable, list[Any]] = {}
        super().__init__("background")

    def _forget_parent(self) -> None:
        self._batches = {}

    def _run(self, calls: queue.Queue) -> None:
        while True:
            function, args = calls.get()
            try:
                function(*args)
            except Exception:
                logger.exception("background call %s failed", getattr(function, "__name__", ""))
            finally:
                calls.task_done()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            function(*args)  # eager mode (tests, debugging): everything happens in line
            return
        self._started().put((function, args))

    def submit_batched(
        self, key: Hashable, function: Callable[[list[Any]], Any], item: Any, linger: float
    ) -> None:
        """Call `function(items)` once, `linger` seconds from now, with every item given for
        `key` until then (in order)."""
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            function([item])
            return
        calls = self._started()
        with self._lock:
            batch = self._batches.get(key)
            if batch is not None:
                batch.append(item)
                return
            self._batches[key] = [item]
        calls.put((self._flush, (key, function, time.monotonic() + linger)))

    def _flush(self, key: Hashable, function: Callable[[list[Any]], Any], at: float) -> None:
        # Runs on the background thread: waiting here holds back calls queued after this one
        # by at most the linger, which is what they would have waited for anyway.
        time.sleep(max(at - time.monotonic(), 0))
        with self._lock:
            items = self._batches.pop(key, [])
        if items:
            function(items)


_runner = _Runner()
submit = _runner.submit
submit_batched = _runner.submit_batched
drain = _runner.drain
