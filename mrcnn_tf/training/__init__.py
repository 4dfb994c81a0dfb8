"""Training: targets, losses, input pipeline, augmentation and the train loop.

Used through ``MaskRCNN(mode="training", ...).train(...)``; the modules are importable on their
own (``targets`` and ``losses`` are pure TensorFlow functions, ``inputs`` is numpy).
"""
