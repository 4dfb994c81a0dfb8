"""One worker owns the model: concurrent requests are all answered, never run the model on
two threads at once, equal detect() alone; queued images are batched; timed-out requests
are dropped unrun."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mrcnn_tf import COCO_CLASS_NAMES, results
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.serve import ModelService, ServiceBusy
from tests.serve.conftest import make_client, same_result


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
            if self.calls:
                self.gate.wait(120)
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
        assert service.wait_ready(120)

        def ask(name):
            return client.post("/v1/detect", files={"image": (f"{name}.png", png[name])})

        with ThreadPoolExecutor(len(names)) as pool:
            answers = list(pool.map(ask, names))
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
        assert service.wait_ready(120)
        first = service.submit([images["chelsea"]])  # holds the worker at the gate
        while len(model.calls) < 1 or model.inside == 0:
            threading.Event().wait(0.01)
        names = ["coffee", "astronaut", "chelsea"]
        futures = [service.submit([images[n]]) for n in names]
        model.gate.set()
        first.result(120)
        answers = [f.result(120) for f in futures]
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
        assert service.wait_ready(120)
        blocker = service.submit([images["chelsea"]])
        with pytest.raises(ServiceBusy, match="did not answer within 0.2 s"):
            service.detect([images["coffee"]], timeout=0.2)
        model.gate.set()
        blocker.result(120)
        result = service.detect([images["astronaut"]], timeout=120)[0]
    finally:
        model.gate.set()
        service.close(60)
    assert [shapes[0] for shapes in model.calls[1:]] == [images["chelsea"].shape,
                                                         images["astronaut"].shape]
    assert same_result(result, serve_model.detect([images["astronaut"]])[0])


def test_bad_batch_size_is_refused(serve_model):
    with pytest.raises(ValueError, match="max_batch=0"):
        ModelService(serve_model, max_batch=0)
