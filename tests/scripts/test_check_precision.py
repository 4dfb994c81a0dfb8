"""scripts/check_precision.py runs end to end and reports both precisions' mAP, the agreement
and the times (on random weights the verdict itself means nothing: it is not asserted)."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import REPO


def test_check_precision_reports_map_agreement_and_speed(r50_weights):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_precision.py"), str(r50_weights),
         "--limit", "2", "--image-dim", "128", "--min-confidence", "0.3"],
        capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"mask mAP@0\.5: float32 \d\.\d{3}, bfloat16 \d\.\d{3}", out), out
    recall = re.search(r"agreement: recall (\d\.\d{3}), precision (\d\.\d{3})", out)
    assert recall and all(0 <= float(v) <= 1 for v in recall.groups()), out
    assert "detect() median: float32" in out and "flags:" in out
    assert out.strip().splitlines()[-1] == ("PASS" if done.returncode == 0 else
                                            "FAIL: the fast mode does not give float32's "
                                            "answers here")
