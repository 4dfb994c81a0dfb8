"""``python -m mrcnn_tf.cli ...`` runs the ``mrcnn-tf`` command."""
from mrcnn_tf.cli.main import main

raise SystemExit(main())
