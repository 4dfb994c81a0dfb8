"""The tf.data input pipeline: Dataset images to batches of model inputs and RPN targets.

Shuffled image ids (reshuffled every pass) and per-sample random seeds feed a parallel
``tf.numpy_function`` map running inputs.load_image_gt; the seeds drive augmentation and
anchor sampling, so with ``seed`` given the batches are reproducible; images without
instances are dropped (as matterport's generator does), RPN targets are computed in
TensorFlow, then the samples are batched and prefetched. An image that fails to load is
logged with its id and skipped. The family's sample loader, image shape and anchors come
from its families.FamilyInputs (matterport's image_gt, or torchvision_inputs: normalized
images padded to one square, pixel anchors of torchvision's AnchorGenerator).

Element (B = batch size, G = MAX_GT_INSTANCES, A anchors, T = RPN_TRAIN_ANCHORS_PER_IMAGE):
``input_image`` float32 [B, H, W, 3], ``input_image_meta`` float32 [B, META],
``input_gt_class_ids`` int32 [B, G], ``input_gt_boxes`` float32 [B, G, 4] pixels,
``input_gt_masks`` uint8 [B, h, w, G] (0/1), ``input_rpn_match`` int32 [B, A],
``input_rpn_bbox`` float32 [B, T, 4].
"""
from __future__ import annotations

import logging

import numpy as np
import tensorflow as tf

from mrcnn_tf.training.image_gt import pad_instances
from mrcnn_tf.training.rpn_targets import rpn_targets

logger = logging.getLogger(__name__)


class _Loader:
    """Loads padded samples; logs and skips images that fail, but stops the run when no image
    has loaded after a whole pass of failures."""

    def __init__(self, dataset, config, augmentation, image_count, family):
        self.dataset, self.config, self.augmentation = dataset, config, augmentation
        self.family = family
        self.image_count = image_count
        self.loaded = 0
        self.failures_in_a_row = 0

    def __call__(self, image_id, seed):
        config = self.config
        rng = np.random.default_rng(int(seed) % 2**63)
        try:
            sample = self.family.load(self.dataset, config, int(image_id),
                                      augmentation=self.augmentation, rng=rng)
        except Exception as err:  # a bad image must not stop a long run
            self.failures_in_a_row += 1
            logger.warning("image %d skipped: %s", int(image_id), err)
            if self.failures_in_a_row > self.image_count and not self.loaded:
                raise RuntimeError(f"no training image could be loaded; last error: {err}")
            return self._empty()
        self.loaded += 1
        self.failures_in_a_row = 0
        sample = pad_instances(sample, config.MAX_GT_INSTANCES, rng)
        has_instances = bool(np.any(sample["class_ids"] > 0))
        return (sample["image"], sample["image_meta"], sample["class_ids"], sample["boxes"],
                sample["masks"].astype(np.uint8), np.bool_(has_instances))

    def _empty(self):
        config, g = self.config, self.config.MAX_GT_INSTANCES
        return (np.zeros(self.family.image_shape, np.float32),
                np.zeros([config.IMAGE_META_SIZE], np.float32), np.zeros([g], np.int32),
                np.zeros([g, 4], np.float32), np.zeros(self.family.mask_shape + (g,), np.uint8),
                np.bool_(False))


def training_dataset(dataset, config, family, *, batch_size, augmentation=None, shuffle=True,
                     seed=None) -> tf.data.Dataset:
    """An endless tf.data.Dataset of training batches from a prepared Dataset (see module
    docstring for the element). family: the model family's families.FamilyInputs
    (``family_for(config).training_inputs(config)``). batch_size: global batch
    (IMAGES_PER_GPU x replicas)."""
    image_ids = np.asarray(dataset.image_ids, dtype=np.int64)
    if image_ids.size == 0:
        raise ValueError("the dataset has no images; did you call prepare()?")
    loader = _Loader(dataset, config, augmentation, len(image_ids), family)
    g = config.MAX_GT_INSTANCES
    out_types = (tf.float32, tf.float32, tf.int32, tf.float32, tf.uint8, tf.bool)
    shapes = (list(family.image_shape), [config.IMAGE_META_SIZE], [g], [g, 4],
              list(family.mask_shape) + [g], [])
    anchors = tf.constant(family.pixel_anchors)

    def load(image_id, sample_seed):
        values = tf.numpy_function(loader, [image_id, sample_seed], out_types, stateful=True)
        return tuple(tf.ensure_shape(v, s) for v, s in zip(values, shapes)) + (sample_seed,)

    def add_rpn_targets(image, meta, class_ids, boxes, masks, _, sample_seed):
        match, rpn_bbox = rpn_targets(anchors, class_ids, boxes,
                                      anchors_per_image=config.RPN_TRAIN_ANCHORS_PER_IMAGE,
                                      bbox_std_dev=config.RPN_BBOX_STD_DEV,
                                      seed=tf.stack([sample_seed, tf.constant(0, tf.int64)]))
        return {"input_image": image, "input_image_meta": meta, "input_gt_class_ids": class_ids,
                "input_gt_boxes": boxes, "input_gt_masks": masks, "input_rpn_match": match,
                "input_rpn_bbox": rpn_bbox}

    ids = tf.data.Dataset.from_tensor_slices(image_ids)
    if shuffle:
        ids = ids.shuffle(len(image_ids), seed=seed, reshuffle_each_iteration=True)
    ids = ids.repeat()
    samples = tf.data.Dataset.zip(ids, tf.data.Dataset.random(seed=seed))
    samples = samples.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=seed is not None)
    samples = samples.filter(lambda *sample: sample[-2])  # has instances
    samples = samples.map(add_rpn_targets, num_parallel_calls=tf.data.AUTOTUNE)
    batches = samples.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return batches.with_options(options)
