#!/usr/bin/env bash
# Build (or reuse) the virtual environment that runs matterport's own Mask R-CNN for
# scripts/matterport_reference.py: PixelLib 0.7.1's TF2 port of matterport's code on tf-keras
# (the legacy Keras 2), beside the TensorFlow of the python that runs this script.
#
#     scripts/matterport_env.sh [ENV_DIR]    # prints ENV_DIR/bin/python (its only stdout line)
#
# ENV_DIR defaults to $MRCNN_TF_MATTERPORT_ENV, else ${XDG_CACHE_HOME:-~/.cache}/mrcnn_tf/
# matterport-env. The venv sees the system's site-packages (TensorFlow, numpy, h5py,
# scikit-image are not installed twice); it adds pixellib==0.7.1 without its dependencies
# (they pin old TensorFlow), tf-keras of the installed TensorFlow's major.minor, and imantics.
# An existing environment is reused when it imports matterport's code with a matching
# tf-keras; otherwise it is built again. Any failure exits non-zero (nothing is skipped).
# PYTHON chooses the base interpreter (default python3).
set -euo pipefail

python="${PYTHON:-python3}"
env_dir="${1:-${MRCNN_TF_MATTERPORT_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mrcnn_tf/matterport-env}}"

# the TensorFlow pip installed, read from its metadata (no import: a few seconds faster)
tf_version="$("$python" - <<'EOF'
import importlib.metadata as metadata

for name in ("tensorflow", "tensorflow-cpu", "tensorflow-intel"):
    try:
        print(metadata.version(name))
        break
    except metadata.PackageNotFoundError:
        pass
else:
    raise SystemExit("TensorFlow is not installed for this python")
EOF
)"
tf_minor="$(echo "$tf_version" | cut -d. -f1,2)"

# Checks that the environment runs matterport's code beside tf-keras $tf_minor.* (says why
# not on stderr); "works" is the same check, quiet.
check() {
    [ -x "$env_dir/bin/python" ] || { echo "no $env_dir/bin/python" >&2; return 1; }
    TF_CPP_MIN_LOG_LEVEL=3 TF_USE_LEGACY_KERAS=1 "$env_dir/bin/python" - "$tf_minor" \
        >/dev/null <<'EOF'
import importlib.metadata as metadata
import sys

assert metadata.version("tf-keras").startswith(sys.argv[1] + "."), metadata.version("tf-keras")
assert metadata.version("pixellib") == "0.7.1"
import imantics  # noqa: F401  (pixellib.instance imports it)
from pixellib.instance import mask_rcnn  # noqa: F401
EOF
}
works() { check 2>/dev/null; }

if works; then
    echo "matterport environment: reusing $env_dir (TensorFlow $tf_version)" >&2
else
    echo "matterport environment: building $env_dir (TensorFlow $tf_version," \
         "tf-keras==$tf_minor.*)" >&2
    rm -rf "$env_dir"
    mkdir -p "$(dirname "$env_dir")"
    "$python" -m venv --system-site-packages "$env_dir"
    "$env_dir/bin/python" -m pip install --quiet "tf-keras==$tf_minor.*" imantics
    "$env_dir/bin/python" -m pip install --quiet --no-deps "pixellib==0.7.1"
    if ! check; then
        echo "matterport environment: $env_dir was built but cannot import matterport's" \
             "code (pixellib.instance.mask_rcnn with tf-keras $tf_minor.*)" >&2
        exit 1
    fi
fi
echo "$env_dir/bin/python"
