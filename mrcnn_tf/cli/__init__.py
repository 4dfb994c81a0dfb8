"""The ``mrcnn-tf`` command line: ``detect``, ``weights fetch|info`` (and ``export``/``video``
when those packages are installed). Entry point: ``mrcnn_tf.cli.main:main``.

TensorFlow is imported only by the commands that run a model, so ``mrcnn-tf --help`` is fast.
"""
