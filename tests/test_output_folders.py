"""check_writable: an output folder that exists, can be created, or cannot be written."""
from __future__ import annotations

import pytest

from mrcnn_tf.output_folders import OutputFolderError, check_writable


def test_existing_and_creatable_folders_pass_and_nothing_is_left(tmp_path):
    check_writable(tmp_path, "--out")
    check_writable(tmp_path / "new" / "deeper", "--out")
    assert list(tmp_path.iterdir()) == []  # no probe file, no folder created


def test_unwritable_folder_and_folder_under_it_fail_with_one_line(unwritable):
    for folder, extra in ((unwritable, ""), (unwritable / "new" / "out", "would be created")):
        with pytest.raises(OutputFolderError) as err:
            check_writable(folder, f"--out {str(folder)!r}")
        message = str(err.value)
        assert "\n" not in message and "cannot write" in message and str(folder) in message
        assert extra in message


def test_a_file_in_the_way_fails(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="is not a folder"):
        check_writable(tmp_path / "file" / "out", "--out")
