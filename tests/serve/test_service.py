"""One worker owns the model: concurrent requests are all answered, never run the model on
two threads at once, equal detect() alone; queued images are batched; timed-out requests
are dropped unrun. Every wait has a deadline and fails saying what it waited for."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from mrcnn_tf import COCO_CLASS_NAMES, results
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.serve import ModelService, ServiceBusy
from tests.serve.conftest import make_client, same_result

WAIT = 120  # seconds any wait of these tests may take before it fails


def wait_until(condition, what: str, timeout: float = WAIT):
    """Poll condition() until it is true; fail naming what was awaited after timeout s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}")
        time.sleep(0.01)


def result_of(future, what: str, timeout: float = WAIT):
    """The future's result; fail naming what was awaited after timeout s."""
    try:
        return future.result(timeout)
    except FutureTimeout:
        pytest.fail(f"waited {timeout:g} s for {what}")


def wait_ready(service, timeout: float = WAIT):
    if not service.wait_ready(timeout):
        pytest.fail(f"waited {timeout:g} s for the service's warm-up detect() call")


class WatchedModel:
    """The real model, recording the largest number of threads inside detect() at once and
    the images of each call; an optional gate holds calls after the warm-up."""

    def __init__(self, model, gated=False):
        self.model, self.config = model, model.config
        self.inside = self.most_inside = 0
        self.calls = []
        self.gate = threading.Event()
        if not gated:
            self.gate.set()
        self._lock = threading.Lock()

    def detect(self, images, batch_size=None):
        with self._lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            if self.calls and not self.gate.wait(WAIT):
                raise TimeoutError(f"waited {WAIT} s for the test to open the gate")
            self.calls.append([image.shape for image in images])
            return self.model.detect(images, batch_size=batch_size)
        finally:
            with self._lock:
                self.inside -= 1


def test_concurrent_requests_are_all_answered_one_model_call_at_a_time(serve_model, png,
                                                                       expected):
    model = WatchedModel(serve_model)
    service = ModelService(model)
    client = make_client(service)
    names = ["coffee", "astronaut", "chelsea"] * 2
    try:
        wait_ready(service)

        def ask(name):
            return client.post("/v1/detect", files={"image": (f"{name}.png", png[name])})

        with ThreadPoolExecutor(len(names)) as pool:
            asked = [pool.submit(ask, name) for name in names]
            answers = [result_of(f, f"the answer to the {n} request")
                       for n, f in zip(names, asked)]
    finally:
        service.close(60)
    assert [a.status_code for a in answers] == [200] * len(names)
    assert model.most_inside == 1
    assert len(model.calls) == 1 + len(names)  # warm-up + one call per request (max_batch 1)
    for name, answer in zip(names, answers):
        record = answer.json()["images"][0]
        assert record == results.to_record(expected[name], COCO_CLASS_NAMES,
                                           image=f"{name}.png")
    assert sum(len(expected[n]["scores"]) for n in names) > 0


def test_queued_images_are_batched_into_one_call(serve_model, images, expected):
    model = WatchedModel(serve_model, gated=True)
    service = ModelService(model, max_batch=3).start()
    try:
        wait_ready(service)
        first = service.submit([images["chelsea"]])  # holds the worker at the gate
        wait_until(lambda: len(model.calls) >= 1 and model.inside > 0,
                   "the worker to take the first image and stop at the gate")
        names = ["coffee", "astronaut", "chelsea"]
        futures = [service.submit([images[n]]) for n in names]
        model.gate.set()
        result_of(first, "the first (gated) image's result")
        answers = [result_of(f, f"the batched {n} image's result")
                   for n, f in zip(names, futures)]
    finally:
        model.gate.set()
        service.close(60)
    assert model.calls[2] == [images[n].shape for n in names]  # one call for the three
    assert model.most_inside == 1
    for name, (result,) in zip(names, answers):
        # a batch of 3 may round differently from a batch of 1 (last float bits): agree by
        # the parity criterion, same number of detections
        agreement = compare_detections(expected[name], result, images[name].shape[:2])
        assert agreement.passes(), f"{name}: {agreement}"
        assert len(result["scores"]) == len(expected[name]["scores"])


def test_a_timed_out_request_is_dropped_without_running(serve_model, images):
    model = WatchedModel(serve_model, gated=True)
    service = ModelService(model).start()
    try:
        wait_ready(service)
        blocker = service.submit([images["chelsea"]])
        with pytest.raises(ServiceBusy, match="did not answer within 0.2 s"):
            service.detect([images["coffee"]], timeout=0.2)
        model.gate.set()
        result_of(blocker, "the blocking image's result")
        result = service.detect([images["astronaut"]], timeout=WAIT)[0]
    finally:
        model.gate.set()
        service.close(60)
    assert [shapes[0] for shapes in model.calls[1:]] == [images["chelsea"].shape,
                                                         images["astronaut"].shape]
    assert same_result(result, serve_model.detect([images["astronaut"]])[0])


def test_bad_batch_size_is_refused(serve_model):
    with pytest.raises(ValueError, match="max_batch=0"):
        ModelService(serve_model, max_batch=0)
