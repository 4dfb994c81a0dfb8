"""weights.torch_zip: torch.save zip files read without torch, and pickles that ask for
anything but tensors refused before anything from them runs."""
from __future__ import annotations

import collections
import os
import pickle
import subprocess
import sys
import zipfile
from argparse import Namespace

import ml_dtypes
import numpy as np
import pytest

from mrcnn_tf.weights.state_dict import read_state_dict
from mrcnn_tf.weights.torch_pickle import UnsafePickleError
from tests.helpers import PARITY_DIR, REPO
from tests.weights.torch_files import Storage, Tensor, contiguous, write_torch_zip


@pytest.fixture(scope="module")
def tv_dir(parity_dir):
    return parity_dir / "torchvision"


@pytest.mark.parametrize("name", ["small_state_dict.pth", "small_checkpoint.pth"])
def test_the_fixture_reads_exactly_as_expected(tv_dir, name):
    """float32, a transposed view, float16, a 0-d int64, two views of one storage (offset,
    stride): same keys in the same order, dtypes, shapes and values."""
    tensors = read_state_dict(tv_dir / name)
    with np.load(tv_dir / "small_state_dict_expected.npz") as expected:
        assert list(tensors) == list(expected.files)
        for key in expected.files:
            assert tensors[key].dtype == expected[key].dtype, key
            assert tensors[key].shape == expected[key].shape, key
            np.testing.assert_array_equal(tensors[key], expected[key], err_msg=key)
    assert all(v.flags.c_contiguous and v.flags.owndata for v in tensors.values())


WARM_UP = PARITY_DIR / "torchvision" / "small_state_dict.pth"


def _audit_run(path) -> subprocess.CompletedProcess:
    """read_state_dict(path) in a fresh process that records the audit events of starting
    a process or running code; prints the events and the error."""
    code = f"""
import sys
from mrcnn_tf.weights import read_state_dict
read_state_dict({os.fspath(WARM_UP)!r})  # lazy imports happen here: only the read is watched
events = []
WATCHED = ('os.system', 'os.exec', 'os.posix_spawn', 'os.spawn', 'os.fork',
           'subprocess.Popen', 'exec', 'compile', 'builtins.input', 'ctypes.dlopen')
def hook(event, args):
    module_import = (event == 'exec' and args[0].co_name == '<module>'
                     and args[0].co_filename.endswith('.py'))  # a lazy import in the stdlib
    if event in WATCHED and not module_import:
        events.append(event)
sys.addaudithook(hook)
try:
    read_state_dict({os.fspath(path)!r})
    print('READ')
except ValueError as err:
    print('REFUSED', type(err).__name__, err)
print('EVENTS', sorted(set(events)))
"""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_the_malicious_fixture_is_refused_and_nothing_runs(tv_dir):
    """Its pickle calls posix.system("echo PWNED > /tmp/pwned_by_pth")."""
    marker = "/tmp/pwned_by_pth"
    before = os.stat(marker).st_mtime_ns if os.path.exists(marker) else None
    done = _audit_run(tv_dir / "malicious.pth")
    assert done.returncode == 0, done.stderr
    assert "REFUSED UnsafePickleError" in done.stdout, done.stdout
    assert "'posix.system'" in done.stdout and "nothing from the file was run" in done.stdout
    assert "EVENTS []" in done.stdout, done.stdout
    after = os.stat(marker).st_mtime_ns if os.path.exists(marker) else None
    assert after == before, f"{marker} was written"


class Evil:
    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize("protocol", [2, 4])
@pytest.mark.parametrize("payload", ["system", "eval", "exec_in_a_tensor_slot"])
def test_own_payloads_are_refused_and_leave_no_trace(tmp_path, protocol, payload):
    """Payloads that would create a file in tmp_path if anything ran (GLOBAL and, with
    protocol 4, STACK_GLOBAL opcodes; at the top and inside a state dict)."""
    witness = tmp_path / "ran"
    if payload == "system":
        evil = Evil(os.system, f"touch {witness}")
    elif payload == "eval":
        evil = Evil(eval, f"open({str(witness)!r}, 'w').close()")
    else:
        evil = Evil(exec, f"open({str(witness)!r}, 'w').close()")
    state = collections.OrderedDict(weight=[0.0, 1.0], bias=evil)  # the payload comes first
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("evil/data.pkl", pickle.dumps(state, protocol=protocol))
        out.writestr("evil/version", "3\n")
    refused = r"global '(posix\.system|(__builtin__|builtins)\.(eval|exec))'"
    with pytest.raises(UnsafePickleError, match="refused to load: its pickle asks for the "
                                                + refused):
        read_state_dict(path)
    assert not witness.exists()


def test_other_dtypes_byte_orders_and_parameters(tmp_path):
    values = {"float64": np.linspace(-1, 1, 6), "int32": np.arange(-3, 3, dtype=np.int32),
              "uint8": np.arange(250, 256, dtype=np.uint8), "bool": np.arange(6) % 2 == 0,
              "int8": np.arange(-3, 3, dtype=np.int8),
              "bfloat16": np.array([0.5, -2, 3.25, 1e3, -1e-3, 7], ml_dtypes.bfloat16)}
    state = {name: Tensor(Storage(name, v.astype(v.dtype)), 1, (2, 2), (1, 2),
                          parameter=name == "float64")
             for name, v in values.items()}
    for byteorder in ("little", "big"):
        path = write_torch_zip(tmp_path / f"{byteorder}.pth", state, byteorder=byteorder)
        tensors = read_state_dict(path)
        for name, v in values.items():
            assert tensors[name].dtype == v.dtype, name
            np.testing.assert_array_equal(tensors[name], v[1:5].reshape(2, 2).T,
                                          err_msg=f"{name} {byteorder}")


def test_training_checkpoint_with_arguments_and_optimizer(tmp_path):
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    checkpoint = {"model": collections.OrderedDict(w=contiguous("0", weight)),
                  "optimizer": {"state": {0: {"momentum_buffer": contiguous("1", weight)}},
                                "param_groups": [{"lr": 0.02, "params": [0]}]},
                  "epoch": 25, "args": Namespace(lr=0.02, data_path="/coco")}
    path = write_torch_zip(tmp_path / "checkpoint.pth", checkpoint)
    tensors = read_state_dict(path)
    assert list(tensors) == ["w"]
    np.testing.assert_array_equal(tensors["w"], weight)


@pytest.mark.parametrize("case, message", [
    ("past_the_end", r"reaches past its storage of 6 elements — a damaged file"),
    ("missing_storage", r"storage '0' is missing from the archive"),
    ("no_state_dict", r"holds no state dict: its top-level entries are epoch, note"),
])
def test_damaged_files_are_clear_errors(tmp_path, case, message):
    storage = Storage("0", np.zeros(6, np.float32))
    obj = {"w": Tensor(storage, 2, (2, 3), (3, 1))}  # needs 8 elements, the storage has 6
    if case == "missing_storage":
        obj = {"w": contiguous("0", np.zeros(3, np.float32))}
    elif case == "no_state_dict":
        obj = {"epoch": 3, "note": "no tensors"}
    path = write_torch_zip(tmp_path / f"{case}.pth", obj,
                           drop_storage="0" if case == "missing_storage" else None)
    with pytest.raises(ValueError, match=message) as err:
        read_state_dict(path)
    assert str(path) in str(err.value)


def test_a_file_cannot_change_how_later_files_are_read(tv_dir, tmp_path):
    """BUILD on what find_class returned sets attributes on it: here the float storage's
    dtype. That must stay within the file that does it."""
    data = (b"\x80\x02ctorch\nFloatStorage\n}X\n\x00\x00\x00dtype_nameX\x07\x00\x00\x00float64"
            b"sb0ctorch._tensor\n_rebuild_from_type_v2\n}X\x08\x00\x00\x00__init__K\x01sb0"
            b"cargparse\nNamespace\n}X\x08\x00\x00\x00__init__K\x01s}\x86b0}.")
    path = tmp_path / "poison.pth"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("poison/data.pkl", data)
    with pytest.raises(ValueError):  # an empty dict: no state dict
        read_state_dict(path)
    test_the_fixture_reads_exactly_as_expected(tv_dir, "small_state_dict.pth")
    checkpoint = {"model": {"w": contiguous("0", np.ones(2, np.float32))}, "args": Namespace(a=1)}
    assert list(read_state_dict(write_torch_zip(tmp_path / "c.pth", checkpoint))) == ["w"]
