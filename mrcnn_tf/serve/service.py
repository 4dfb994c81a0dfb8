"""The model's own thread: one worker owns the model and runs the requests from a queue.

Requests (a list of images each) wait in a FIFO queue. The worker takes the oldest, adds the
requests queued behind it while the images stay within ``max_batch``, and runs them in one
``model.detect`` call (detect() batches images of the same molded shape and runs the others
in turn), so the model never runs on two threads at once. A request whose caller stops
waiting (timeout) before the worker takes it is dropped unrun.

The worker first runs the model once on a small gray image (building the graph); the
service is ``ready`` after that call succeeded.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import queue
import threading
import time

import numpy as np

LOG = logging.getLogger("mrcnn_tf.serve")
WARMUP_SIDE = 128  # pixels of the warm-up image
_STOP = object()


class ServiceBusy(Exception):
    """The model did not answer within the caller's timeout."""


@dataclasses.dataclass
class _Job:
    images: list
    future: concurrent.futures.Future


@dataclasses.dataclass
class ServiceStats:
    """Counters of the worker: model calls, images, seconds inside model.detect."""

    calls: int = 0
    images: int = 0
    model_seconds: float = 0.0


class ModelService:
    """Runs ``model.detect`` on one worker thread (see the module docstring).

    model: anything with ``config`` and ``detect(list of images, batch_size=) -> results``.
    max_batch: images gathered from queued requests into one detect() call (1: strictly one
    request at a time). warmup: run the model once when the thread starts.
    """

    def __init__(self, model, *, max_batch: int = 1, warmup: bool = True):
        if int(max_batch) < 1:
            raise ValueError(f"max_batch={max_batch!r}: expected a whole number >= 1")
        self.model = model
        self.config = model.config
        self.max_batch = int(max_batch)
        self.warmup = warmup
        self.warmup_error = None
        self.stats = ServiceStats()
        self._queue = queue.Queue()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    # ---- life cycle ----------------------------------------------------------------------

    def start(self) -> "ModelService":
        """Start the worker thread (once); returns self."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mrcnn-tf-model",
                                                daemon=True)
                self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop the worker after the requests already queued."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)

    @property
    def ready(self) -> bool:
        """True once the model has answered its first call."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def waiting(self) -> int:
        """Requests in the queue, not yet taken by the worker."""
        return self._queue.qsize()

    # ---- requests ------------------------------------------------------------------------

    def submit(self, images) -> concurrent.futures.Future:
        """Queue images (a list of arrays detect() accepts); the future's result is their
        detect() results, or the exception detect() raised."""
        self.start()
        job = _Job(list(images), concurrent.futures.Future())
        self._queue.put(job)
        return job.future

    def detect(self, images, timeout: float | None = None) -> list:
        """detect() results for the images, run on the worker; ServiceBusy after timeout s."""
        future = self.submit(images)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ServiceBusy(self.busy_message(timeout)) from None

    async def detect_async(self, images, timeout: float | None = None) -> list:
        """detect() for asyncio callers: awaits the worker without blocking the event loop."""
        future = self.submit(images)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:
            future.cancel()
            raise ServiceBusy(self.busy_message(timeout)) from None

    def busy_message(self, timeout) -> str:
        return (f"the model did not answer within {timeout:g} s ({self.waiting} requests still "
                "waiting); try again later or raise the server's --timeout")

    # ---- the worker ----------------------------------------------------------------------

    def _run(self) -> None:
        if self.warmup:
            self._warm_up()
        else:
            self._ready.set()
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            jobs = [job] + self._gather(len(job.images))
            stop = any(j is _STOP for j in jobs)
            jobs = [j for j in jobs if j is not _STOP and j.future.set_running_or_notify_cancel()]
            if jobs:
                self._run_jobs(jobs)
            if stop:
                return

    def _gather(self, count: int) -> list:
        """More queued jobs while their images fit in max_batch (no waiting)."""
        more = []
        while count < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            more.append(job)
            if job is _STOP:
                break
            count += len(job.images)
        return more

    def _warm_up(self) -> None:
        side = min(WARMUP_SIDE, int(self.config.IMAGE_MAX_DIM))
        try:
            self._call([np.full((side, side, 3), 128, np.uint8)])
        except Exception as err:  # the server keeps running; /readyz reports the problem
            self.warmup_error = f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
            LOG.exception("the model's first call failed")
            return
        self._ready.set()

    def _call(self, images) -> list:
        start = time.perf_counter()
        results = self.model.detect(images, batch_size=self.max_batch)
        with self._lock:
            self.stats.calls += 1
            self.stats.images += len(images)
            self.stats.model_seconds += time.perf_counter() - start
        return results

    def _run_jobs(self, jobs) -> None:
        images = [image for job in jobs for image in job.images]
        try:
            results = self._call(images)
        except Exception as err:
            if len(jobs) > 1:  # find the job that failed; the others still get answers
                for job in jobs:
                    self._run_jobs_alone(job)
                return
            jobs[0].future.set_exception(err)
            return
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.images)])
            start += len(job.images)

    def _run_jobs_alone(self, job) -> None:
        try:
            job.future.set_result(self._call(job.images))
        except Exception as err:
            job.future.set_exception(err)
