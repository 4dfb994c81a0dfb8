"""Fixtures shared by the whole suite. Weights are built from ../shared/parity, never downloaded."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from tests.helpers import PARITY_DIR, make_tv_weights, make_weights  # noqa: E402


@pytest.fixture(scope="session")
def parity_dir():
    if not (PARITY_DIR / "make_weights.py").exists():
        pytest.fail(f"parity fixtures not found at {PARITY_DIR}: the tests need ../shared/parity "
                    "beside the repository (or MRCNN_TF_PARITY_DIR)")
    return PARITY_DIR


@pytest.fixture(scope="session")
def r101_weights(parity_dir, tmp_path_factory):
    """matterport-layout ResNet-101 / 81-class weights (seed 0), as in the reference; the file
    at MRCNN_TF_PARITY_WEIGHTS when set (.ci/run: the one its same-machine reference was made
    with, written by make_weights.py the same way)."""
    given = os.environ.get("MRCNN_TF_PARITY_WEIGHTS")
    if given:
        if not Path(given).is_file():
            pytest.fail(f"MRCNN_TF_PARITY_WEIGHTS={given} is not a file", pytrace=False)
        return Path(given)
    return make_weights("manifest_r101.json", tmp_path_factory.mktemp("weights") / "r101.h5")


@pytest.fixture(scope="session")
def r50_weights(parity_dir, tmp_path_factory):
    """matterport-layout ResNet-50 / 81-class weights (seed 0)."""
    return make_weights("manifest_r50.json", tmp_path_factory.mktemp("weights") / "r50.h5")


@pytest.fixture(scope="session")
def small_model(r50_weights):
    """A fast ResNet-50 COCO-class model at 256x256 with the r50 weights loaded (shared: do not
    change its weights)."""
    import mrcnn_tf

    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                                 IMAGE_MAX_DIM=256)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(r50_weights)
    return model


@pytest.fixture
def unwritable(tmp_path):
    """A folder this process cannot write in. As root, permission bits do not stop writes, so
    root gets /sys (sysfs refuses new files even to root); other users a read-only folder."""
    if os.geteuid() == 0:
        yield Path("/sys")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.fixture(scope="session")
def tv_v1_weights(parity_dir, tmp_path_factory):
    """torchvision maskrcnn_resnet50_fpn state dict (.npz, seed 0), as in reference_tv_v1."""
    return make_tv_weights("v1", tmp_path_factory.mktemp("tv_weights") / "tv_v1.npz")


@pytest.fixture(scope="session")
def tv_v2_weights(parity_dir, tmp_path_factory):
    """torchvision maskrcnn_resnet50_fpn_v2 state dict (.npz, seed 0), as in reference_tv_v2."""
    return make_tv_weights("v2", tmp_path_factory.mktemp("tv_weights") / "tv_v2.npz")
