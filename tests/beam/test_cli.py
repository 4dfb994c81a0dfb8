"""detect-beam / merge-results command lines, and the package floors of mrcnn_tf.beam."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

from mrcnn_tf.cli.main import build_parser, main  # noqa: E402

BEAM_PACKAGE = Path(__file__).resolve().parents[2] / "mrcnn_tf" / "beam"


def test_unknown_options_go_to_beam_and_misspelt_ones_are_errors(capsys):
    argv = ["detect-beam", "--input", "x/*.jpg", "--out", "o/run", "--runner", "DirectRunner",
            "--direct_num_workers=2", "--weights", "w.h5"]
    args = build_parser(argv).parse_args(argv)
    assert args.pipeline_args == ["--runner", "DirectRunner", "--direct_num_workers=2"]
    assert (args.input, args.weights, args.batch_size) == ("x/*.jpg", "w.h5", 4)
    assert main(argv[:5] + ["--runnr", "DirectRunner"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("mrcnn-tf detect-beam: error: unknown option --runnr (neither a detect-beam "
                   "option nor a Beam pipeline option)")


def test_missing_weights_stop_before_the_pipeline(tmp_path, capsys):
    status = main(["detect-beam", "--input", f"{tmp_path}/*.jpg", "--out", f"{tmp_path}/o",
                   "--weights", f"{tmp_path}/nope.h5"])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.h5" in err[0] and "no such file" in err[0]


def test_merge_results_error_is_one_line(tmp_path, capsys):
    assert main(["merge-results", f"{tmp_path}/none-*.jsonl", "--out", f"{tmp_path}/r.json"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"mrcnn-tf merge-results: error: {tmp_path}/none-*.jsonl: no such file")


def test_beam_package_never_imports_the_cli():
    for path in BEAM_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "mrcnn_tf.cli" or n.startswith("mrcnn_tf.cli.")
                           for n in names), f"{path.name} imports {names}"
