"""training.checkpoints: matterport's folder/file names, resuming, find_last."""
from __future__ import annotations

import datetime
import os

import pytest

import mrcnn_tf
from mrcnn_tf.training.checkpoints import find_last, log_dir_for

CONFIG = mrcnn_tf.Config(NAME="Cells", NUM_CLASSES=2)


def test_new_run_folder_and_file_names(tmp_path):
    now = datetime.datetime(2024, 3, 5, 14, 7)
    log_dir, template, epoch = log_dir_for(tmp_path, CONFIG, now=now)
    assert log_dir == os.path.join(tmp_path, "cells20240305T1407")
    assert template.format(epoch=3) == os.path.join(log_dir, "mask_rcnn_cells_0003.h5")
    assert epoch == 0


def test_resuming_from_a_checkpoint_continues_its_folder_and_epoch(tmp_path):
    path = tmp_path / "cells20240305T1407" / "mask_rcnn_cells_0012.h5"
    log_dir, template, epoch = log_dir_for(tmp_path, CONFIG, path)
    assert log_dir == os.path.join(tmp_path, "cells20240305T1407")
    assert epoch == 12 and template.format(epoch=epoch + 1).endswith("mask_rcnn_cells_0013.h5")


def test_other_weights_start_a_new_folder(tmp_path):
    _, _, epoch = log_dir_for(tmp_path, CONFIG, tmp_path / "mask_rcnn_coco.h5")
    assert epoch == 0


def test_find_last_takes_newest_folder_and_epoch(tmp_path):
    for folder, epochs in (("cells20240101T0000", (1, 2)), ("cells20240305T1407", (1, 3, 2)),
                           ("other20250101T0000", (9,))):
        (tmp_path / folder).mkdir()
        for e in epochs:
            (tmp_path / folder / f"mask_rcnn_{folder[:-13]}_{e:04d}.h5").write_bytes(b"")
    assert find_last(tmp_path, CONFIG) == os.path.join(
        tmp_path, "cells20240305T1407", "mask_rcnn_cells_0003.h5")


def test_find_last_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no 'cells' training folder"):
        find_last(tmp_path, CONFIG)
    (tmp_path / "cells20240101T0000").mkdir()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        find_last(tmp_path, CONFIG)
    with pytest.raises(ValueError, match="NAME"):
        find_last(tmp_path, mrcnn_tf.Config(NUM_CLASSES=2))
