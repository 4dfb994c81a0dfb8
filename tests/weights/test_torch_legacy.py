"""weights.torch_legacy: torch.save's format before PyTorch 1.6 (torchvision's 2019 COCO
weights), read without torch, with the same refusal of anything but tensors."""
from __future__ import annotations

import collections
import io
import os
import pickle
import tarfile

import ml_dtypes
import numpy as np
import pytest

from mrcnn_tf.weights.state_dict import read_state_dict
from mrcnn_tf.weights.torch_pickle import UnsafePickleError
from tests.weights.torch_files import (Storage, StorageView, Tensor, contiguous,
                                       write_torch_legacy, write_torch_zip)


def mixed_state():
    """Views, dtypes, a parameter, and the _metadata attribute module.state_dict() sets
    (pickled with a BUILD opcode)."""
    shared = Storage("0", np.arange(24, dtype=np.float32))
    state = collections.OrderedDict([
        ("conv.weight", contiguous("1", np.linspace(-1, 1, 24).reshape(2, 3, 2, 2))),
        ("transposed", Tensor(shared, 2, (3, 4), (1, 3))),
        ("view_of_a_view", Tensor(StorageView("9", shared, 5, 10), 1, (3,), (3,))),
        ("half", contiguous("2", np.array([0.5, -1.25], np.float16))),
        ("bf16", Tensor(Storage("3", np.array([1, 2.5, -3], ml_dtypes.bfloat16)), 0, (3,),
                        (1,), parameter=True)),
        ("count", contiguous("4", np.array(7, np.int64))),
    ])
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 2})])
    return state


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_legacy_reads_as_the_zip_format(tmp_path, byteorder):
    state = mixed_state()
    legacy = read_state_dict(write_torch_legacy(tmp_path / "old.pth", state,
                                                byteorder=byteorder))
    without_views = {k: v for k, v in state.items() if k != "view_of_a_view"}
    modern = read_state_dict(write_torch_zip(tmp_path / "new.pth", without_views))
    assert list(legacy) == list(state)
    for key, value in modern.items():
        assert legacy[key].dtype == value.dtype and legacy[key].shape == value.shape, key
        np.testing.assert_array_equal(legacy[key], value, err_msg=key)
    np.testing.assert_array_equal(legacy["transposed"], np.arange(2, 14).reshape(4, 3).T)
    np.testing.assert_array_equal(legacy["view_of_a_view"], [6, 9, 12])  # 5 + 1 + 3 * i


def test_the_fixture_values_in_the_legacy_format(parity_dir, tmp_path):
    with np.load(parity_dir / "torchvision" / "small_state_dict_expected.npz") as data:
        expected = {key: data[key] for key in data.files}
    checkpoint = {"model": {k: contiguous(str(i), v) for i, (k, v) in enumerate(expected.items())},
                  "epoch": 3}
    tensors = read_state_dict(write_torch_legacy(tmp_path / "checkpoint.pth", checkpoint))
    assert list(tensors) == list(expected)
    for key, value in expected.items():
        assert tensors[key].dtype == value.dtype, key
        np.testing.assert_array_equal(tensors[key], value, err_msg=key)


class Evil:
    def __init__(self, witness):
        self.witness = witness

    def __reduce__(self):
        return os.system, (f"touch {self.witness}",)


def test_a_payload_is_refused_and_does_not_run(tmp_path):
    witness = tmp_path / "ran"
    path = write_torch_legacy(tmp_path / "evil.pth", {"w": [0.0], "b": Evil(witness)})
    with pytest.raises(UnsafePickleError, match="global 'posix.system'.*nothing from the file "
                                                "was run"):
        read_state_dict(path)
    assert not witness.exists()


def test_truncated_and_tar_files_are_clear_errors(tmp_path):
    path = write_torch_legacy(tmp_path / "cut.pth", mixed_state(), truncate=10)
    with pytest.raises(ValueError, match=r"cut.pth: truncated (in|before) storage"):
        read_state_dict(path)
    old = tmp_path / "tar.pth"
    with tarfile.open(old, "w") as tar:
        info = tarfile.TarInfo("pickle")
        data = pickle.dumps({"w": 1}, protocol=2)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ValueError, match="tar.pth is in torch's oldest \\(tar\\) format.*"
                                         "re-save it with a current torch"):
        read_state_dict(old)
