"""Side effects that must not hold up the request or task that caused them.

Queueing a Celery task costs a Redis round trip (about 0.5 ms), and with Redis down the
client retries for up to seconds. A committed change must not wait for that: the call is
handed to one thread per process, which runs such calls in order. What is lost if the
process dies first is made good by the periodic sweeps (acknowledgements, for example).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class _Runner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] | None = None
        self._pid = 0
        atexit.register(self.drain)

    def _started(self) -> queue.Queue:
        with self._lock:
            # A forked child (a Celery prefork worker) inherits no running thread: start anew.
            if self._queue is None or self._pid != os.getpid():
                self._queue, self._pid = queue.Queue(), os.getpid()
                threading.Thread(
                    target=self._run, args=(self._queue,), name="background", daemon=True
                ).start()
            return self._queue

    @staticmethod
    def _run(calls: queue.Queue) -> None:
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

    def drain(self, timeout: float = 2.0) -> None:
        """Give calls still waiting a moment to run, e.g. before the process exits."""
        calls = self._queue
        if calls is None or self._pid != os.getpid():
            return
        done = threading.Event()
        threading.Thread(target=lambda: (calls.join(), done.set()), daemon=True).start()
        done.wait(timeout)


_runner = _Runner()
submit = _runner.submit
drain = _runner.drain
