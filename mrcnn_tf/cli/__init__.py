"""The ``mrcnn-tf`` command line (entry point ``mrcnn_tf.cli.main:main``): one module per
command (detect, detect-beam, merge-results, video, export, evaluate, serve, weights) with
``add_arguments(parser)`` and ``run(args)``, plus the shared option parsing (arguments) and
model set-up (model_setup). Only argument parsing and printing live here; no library package
imports ``mrcnn_tf.cli``.

TensorFlow is imported only by the commands that run a model, so ``mrcnn-tf --help`` is fast.
"""
