"""Decoding on a background thread: a bounded queue of frames between the source and the model.

OpenCV releases the GIL while it decodes, so the next frames are decoded while the model
runs. The queue is bounded, so memory stays flat however long the video.
"""
from __future__ import annotations

import queue
import threading

QUEUE_FRAMES = 16  # decoded frames waiting for the model
_END = object()
POLL_SECONDS = 0.1


class BackgroundReader:
    """Iterate ``source.frames(end=end)`` on a thread; iterate this object to get the frames.

    An exception raised while reading is re-raised by the iteration. close() stops the
    thread after the frame it is decoding; use the reader as a context manager (or call
    close()) so the thread is always joined.
    """

    def __init__(self, source, *, end=None, maxsize: int = QUEUE_FRAMES):
        self.source = source
        self.stop = threading.Event()
        self._queue = queue.Queue(maxsize=maxsize)
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(end,), name="video-reader",
                                        daemon=True)
        self._thread.start()

    def _run(self, end):
        try:
            for frame in self.source.frames(end=end):
                if not self._put(frame):
                    return
        except BaseException as err:  # re-raised in the consuming thread
            self._error = err
        finally:
            self._put(_END, force=True)

    def _put(self, item, force=False) -> bool:
        while not self.stop.is_set() or force:
            try:
                self._queue.put(item, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                if force and self.stop.is_set():
                    return False  # nobody reads any more: do not block
        return False

    def __iter__(self):
        while True:
            try:
                item = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self.stop.is_set() or not self._thread.is_alive() and self._queue.empty():
                    break
                continue
            if item is _END:
                break
            yield item
            if self.stop.is_set():
                break
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop reading and join the thread (the source itself is closed by its owner)."""
        self.stop.set()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
