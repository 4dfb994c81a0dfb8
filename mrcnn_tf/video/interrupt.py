"""Ctrl-C and SIGTERM stop a video run cleanly instead of killing it mid-write."""
from __future__ import annotations

import signal
import sys
import threading

STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
                     if s is not None)
EXIT_STATUS = {"SIGINT": 130, "SIGTERM": 143}  # 128 + signal number, as shells report it


class StopOnSignal:
    """Context manager: while active, SIGINT/SIGTERM set ``event`` (and ``signal_name``)
    instead of raising, so the run can finish the frames in hand and finalize its files.
    Later signals are ignored until the run has stopped. Handlers are installed only in the
    main thread (Python allows no other); elsewhere only ``event`` can stop the run.
    """

    def __init__(self, *, announce: bool = True):
        self.event = threading.Event()
        self.signal_name = None
        self.announce = announce
        self._previous = {}

    def _handle(self, signum, frame):
        if self.event.is_set():
            return
        self.signal_name = signal.Signals(signum).name
        self.event.set()
        if self.announce:
            print(f"\n{self.signal_name}: stopping; finalizing the partial output...",
                  file=sys.stderr, flush=True)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            # None: the previous handler was not set from Python; the default is the best guess
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous = {}
