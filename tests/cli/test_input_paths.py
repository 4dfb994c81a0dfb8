"""CLI inputs: files, folders and globs; output names that never collide or hit an input."""
from __future__ import annotations

from pathlib import Path

from mrcnn_tf.cli.input_paths import expand_inputs, output_names, plan_stems


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_files_folders_and_globs(tmp_path):
    a = touch(tmp_path / "a" / "x.jpg")
    b = touch(tmp_path / "a" / "y.PNG")
    touch(tmp_path / "a" / "notes.txt")
    touch(tmp_path / "a" / ".hidden.jpg")
    c = touch(tmp_path / "a" / "sub" / "z.jpg")
    d = touch(tmp_path / "b" / "x.jpg")
    paths, problems = expand_inputs([str(tmp_path / "a"), str(tmp_path / "b" / "*.jpg"),
                                     str(a)])
    assert paths == [a, b, d] and problems == []
    paths, _ = expand_inputs([str(tmp_path / "a")], recursive=True)
    assert paths == [c, a, b]  # sorted by path
    paths, _ = expand_inputs([str(tmp_path / "**" / "z.jpg")])
    assert paths == [c]


def test_missing_inputs_are_reported_or_kept_for_their_own_error(tmp_path):
    touch(tmp_path / "empty" / "readme.txt")
    paths, problems = expand_inputs([str(tmp_path / "nothing*.jpg"), str(tmp_path / "empty"),
                                     str(tmp_path / "gone.jpg")])
    assert paths == [tmp_path / "gone.jpg"]  # read later: "no such file"
    assert [p for _, p in problems] == ["no files match this pattern",
                                        "folder has no image files"]


def test_the_output_folder_is_not_read_back(tmp_path):
    image = touch(tmp_path / "photo.jpg")
    touch(tmp_path / "out" / "photo.png")
    paths, _ = expand_inputs([str(tmp_path)], recursive=True, out_dir=tmp_path / "out")
    assert paths == [image]


def test_same_stem_in_two_folders_gets_distinct_names(tmp_path):
    paths = [tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg", tmp_path / "x_2.png",
             tmp_path / "c" / "X.tif"]
    assert plan_stems(paths, tmp_path / "out") == ["x", "x_2", "x_2_2", "X_3"]


def test_outputs_never_overwrite_an_input_or_the_run_files(tmp_path):
    out = tmp_path
    paths = [out / "photo.png", out / "photo.json.jpg", out / "detections.jpg",
             out / "a.splash.png", out / "a.jpg"]
    stems = plan_stems(paths, out, reserved=("detections.json",))
    assert stems[0] != "photo"  # photo.png is an input
    assert stems[2] != "detections"
    assert stems[3] != "a.splash"
    written = {out / name for stem in stems
               for name in (f"{stem}.png", f"{stem}.splash.png", f"{stem}.json")}
    assert not written & set(paths)
    assert len(written) == 3 * len(paths)


def test_a_cut_out_folder_never_is_a_folder_of_inputs(tmp_path):
    paths = [tmp_path / "cat_objects" / "000_cat.png", tmp_path / "cat.jpg"]
    assert plan_stems(paths, tmp_path) == ["000_cat", "cat_2"]


def test_an_output_folder_that_is_or_holds_the_input_folder_keeps_every_input(tmp_path):
    photos = tmp_path / "photos"
    inputs = [touch(photos / "cat.jpg"), touch(photos / "dog.png")]
    assert expand_inputs([str(photos)], out_dir=photos)[0] == inputs
    assert expand_inputs([str(photos)], out_dir=tmp_path)[0] == inputs
    assert expand_inputs([str(photos)], out_dir=tmp_path / "elsewhere")[0] == inputs


def test_earlier_outputs_in_the_output_folder_are_skipped_but_not_inputs(tmp_path):
    import json

    photos = tmp_path / "photos"
    cat, dog = touch(photos / "cat.jpg"), touch(photos / "dog.png")
    # what an earlier `detect photos --out photos --extract --splash` wrote
    (photos / "cat.json").write_text(json.dumps({"image": str(cat), "detections": []}))
    (photos / "dog_2.json").write_text(json.dumps({"image": str(dog), "detections": []}))
    for name in ("cat.png", "cat.splash.png", "cat_objects/000_person.png", "dog_2.png"):
        touch(photos / name)
    # a user's own PNG beside a JSON file that is not a detect record stays an input
    own = touch(photos / "map.png")
    (photos / "map.json").write_text(json.dumps({"type": "FeatureCollection"}))
    paths, problems = expand_inputs([str(photos)], recursive=True, out_dir=photos)
    assert paths == [cat, dog, own] and problems == []


def test_semantic_outputs_never_overwrite_an_input(tmp_path):
    # photo.semantic.png is an input, so the image photo.jpg must not take the stem "photo"
    paths = [tmp_path / "photo.jpg", tmp_path / "photo.semantic.png",
             tmp_path / "x.instances.png", tmp_path / "x.jpg"]
    stems = plan_stems(paths, tmp_path)
    assert stems[0] != "photo" and stems[3] != "x"
    written = {tmp_path / name for stem in stems for name in output_names(stem)}
    assert not written & set(paths)
    assert {"photo.semantic.png", "photo.instances.png", "photo.semantic_preview.png"} <= set(
        output_names("photo"))


def test_earlier_semantic_outputs_are_skipped(tmp_path):
    import json

    photos = tmp_path / "photos"
    cat = touch(photos / "cat.jpg")
    (photos / "cat.json").write_text(json.dumps({"image": str(cat), "detections": []}))
    for name in ("cat.semantic.png", "cat.instances.png", "cat.semantic_preview.png"):
        touch(photos / name)
    assert expand_inputs([str(photos)], out_dir=photos)[0] == [cat]
