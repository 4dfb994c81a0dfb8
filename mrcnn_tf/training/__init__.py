"""Training: image and ground-truth loading (image_gt, numpy), augmentation, RPN targets,
the tf.data batches (batches), losses, the train step (trainer), layer selection,
checkpoints and the train loop (train). The torchvision family's own pieces are
torchvision_inputs (its resize, normalization, square padding and anchors) and
torchvision_losses; the rest is shared.

Used through ``MaskRCNN(mode="training", ...).train(...)``; the modules are importable on their
own. The detection-target ops and their layer live lower down (ops.detection_targets,
ops.gt_matching, layers.detection_target_layer), so the training model builder
(modeling.matterport_training) never imports this package.
"""
