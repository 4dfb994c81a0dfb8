"""tests/helpers.py's handling of missing optional dependencies: a skip that says how to install
them, a failure under MRCNN_TF_REQUIRE_EXTRAS=1 (as .ci/run sets), and the same-machine parity
reference that CI must have."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import helpers
from tests.helpers import REPO, missing_extra, require_extra, same_machine_reference

MISSING = "mrcnn_tf_no_such_module_for_the_test"
SKIPPED, FAILED = pytest.skip.Exception, pytest.fail.Exception


def outcome(call, *args) -> BaseException | None:
    """What call(*args) raised, pytest's skip and fail included (caught here, so that a skip
    where a failure was expected fails this test rather than skipping it)."""
    try:
        call(*args)
    except BaseException as raised:  # noqa: B036 (pytest's outcomes are BaseExceptions)
        return raised
    return None


def expect(kind, call, *args) -> str:
    """call(*args) must raise kind (SKIPPED or FAILED); returns its message."""
    raised = outcome(call, *args)
    assert type(raised) is kind, f"expected {kind.__name__}, got {raised!r}"
    return str(raised)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("MRCNN_TF_REQUIRE_EXTRAS", "CI", "MRCNN_TF_PARITY_REFERENCE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_present_extra_is_returned(clean_env):
    clean_env.setenv("MRCNN_TF_REQUIRE_EXTRAS", "1")
    assert require_extra("json", "test") is __import__("json")
    assert require_extra("os.path", "test") is __import__("os").path


def test_a_missing_extra_skips_with_how_to_install_it(clean_env):
    reason = expect(SKIPPED, require_extra, MISSING, "beam")
    assert MISSING in reason and "[beam] extra" in reason and "pip install" in reason
    assert "\n" not in reason


@pytest.mark.parametrize("value", ["1", "true"])
def test_a_missing_extra_fails_when_extras_are_required(clean_env, value):
    clean_env.setenv("MRCNN_TF_REQUIRE_EXTRAS", value)
    message = expect(FAILED, require_extra, MISSING, "serving")
    assert "[serving] extra" in message and f"MRCNN_TF_REQUIRE_EXTRAS={value}" in message


def test_required_extras_off_still_skips(clean_env):
    clean_env.setenv("MRCNN_TF_REQUIRE_EXTRAS", "0")
    install = "apt-get install chromium chromium-driver"
    assert expect(SKIPPED, missing_extra, "no browser", install) == f"no browser: {install}"
    clean_env.setenv("CI", "true")  # CI alone does not require the extras, only the reference
    assert expect(SKIPPED, missing_extra, "no browser", install) == f"no browser: {install}"


def test_same_machine_reference_skips_by_hand_and_fails_in_ci(clean_env, tmp_path):
    reason = expect(SKIPPED, same_machine_reference)
    assert "scores within 1e-5" in reason and "MRCNN_TF_PARITY_REFERENCE" in reason
    for name, value in (("CI", "true"), ("MRCNN_TF_REQUIRE_EXTRAS", "1")):
        with clean_env.context() as env:
            env.setenv(name, value)
            assert f"not skipped: {name}={value}" in expect(FAILED, same_machine_reference)
    clean_env.setenv("MRCNN_TF_PARITY_REFERENCE", str(tmp_path / "absent.npz"))
    assert "is not a file" in expect(FAILED, same_machine_reference)
    (tmp_path / "here.npz").write_bytes(b"")
    clean_env.setenv("MRCNN_TF_PARITY_REFERENCE", str(tmp_path / "here.npz"))
    assert same_machine_reference() == tmp_path / "here.npz"


def test_every_test_uses_the_helper_for_optional_imports():
    """pytest.importorskip would skip even under MRCNN_TF_REQUIRE_EXTRAS=1."""
    offenders = [str(path.relative_to(REPO)) for path in sorted((REPO / "tests").rglob("*.py"))
                 if "importorskip(" in path.read_text()
                 and path.resolve() not in (Path(__file__).resolve(),
                                            Path(helpers.__file__).resolve())]
    assert not offenders, f"use tests.helpers.require_extra instead of importorskip: {offenders}"
