"""weights.published: the table of published files (it matches weights/published.json),
digests (full or a torch.hub prefix) and cache locations."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.weights.published import (COCO, PUBLISHED, Digest, cache_dir, cached_path,
                                        published)
from tests.helpers import REPO


def test_weights_folder_describes_the_published_files():
    with open(REPO / "weights" / "published.json") as f:
        facts_by_name = json.load(f)
    assert set(facts_by_name) == set(PUBLISHED) == {"coco", "torchvision-v1", "torchvision-v2"}
    for name, facts in facts_by_name.items():
        spec = PUBLISHED[name]
        assert (facts["file"], facts["url"], facts["size"], facts["url_env"], facts["backbone"],
                facts["num_classes"], facts["family"], facts.get("version")) == (
            spec.filename, spec.url, spec.size, spec.url_env, spec.backbone, spec.num_classes,
            spec.family, spec.version)
        assert Digest.parse(facts["digest"]) == spec.digest
    names = (REPO / "weights" / "coco_classes.txt").read_text().splitlines()
    assert tuple(names) == COCO_CLASS_NAMES
    assert COCO.size == 257_557_808


def test_torchvision_files_carry_their_sha256_prefix_in_the_name():
    for name in ("torchvision-v1", "torchvision-v2"):
        spec = PUBLISHED[name]
        prefix = spec.filename.rsplit("-", 1)[1].split(".")[0]
        assert spec.digest.algorithm == "sha256" and spec.digest.value.startswith(prefix)
        assert spec.url.endswith("/" + spec.filename) and spec.file_format == "torch"
    assert PUBLISHED["torchvision-v2"].digest.value == (
        "73cbd0190fcbe3ba339921fbce2c3a0b6bb9126c9a133c85e43a2a8e060a109e")
    assert (PUBLISHED["torchvision-v1"].size, PUBLISHED["torchvision-v2"].size) == (
        178_090_079, 185_828_065)


def test_digest_prefix_and_full_value():
    full = hashlib.sha256(b"abc").hexdigest()
    assert Digest("sha256", full[:8]).matches(full)
    assert Digest("sha256", full.upper()).matches(full)
    assert not Digest("sha256", "0" * 8).matches(full)
    assert str(Digest("sha256", full[:8])) == f"SHA256 {full[:8]}..."
    assert str(Digest("sha256", full)) == f"SHA256 {full}"
    assert Digest.parse(f"SHA256:{full[:10]}") == Digest("sha256", full[:10])
    for bad in ("sha256", "sha256:xyz12345", "sha256:abc", "nohash:12345678"):
        with pytest.raises(ValueError):
            Digest.parse(bad)


def test_cache_location_and_names(tmp_path, monkeypatch):
    monkeypatch.delenv("MRCNN_TF_HOME", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "mrcnn_tf"
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path))
    assert cached_path("COCO") == tmp_path / "mask_rcnn_coco.h5"
    assert cached_path("torchvision-v2") == tmp_path / "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"
    assert published(COCO) is COCO
    with pytest.raises(ValueError, match="unknown published weights 'imagenet'; known: coco, "
                                         "torchvision-v1, torchvision-v2"):
        published("imagenet")
