"""WindowConv2D: a convolution whose kernel covers its whole input, as one matrix product."""
from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class WindowConv2D(layers.Conv2D):
    """A "valid" Conv2D whose kernel covers its whole input (the classifier's pool_size x
    pool_size "FC" convolution). Inference runs Conv2D itself (matterport's numbers to the last
    bit); training computes it as one matrix product: the same weights and values up to float
    rounding, and a gradient many times faster on CPU than TensorFlow's conv-filter gradient
    for this shape. Input [K, k, k, C_in] -> [K, 1, 1, filters]."""

    def call(self, inputs, training=None):
        if (not training or tuple(inputs.shape[1:3]) != tuple(self.kernel_size)
                or self.padding != "valid"):
            return super().call(inputs)
        flat = keras.ops.reshape(inputs, (-1, self.kernel.shape[0] * self.kernel.shape[1]
                                          * self.kernel.shape[2]))
        outputs = keras.ops.matmul(flat, keras.ops.reshape(self.kernel, (-1, self.filters)))
        if self.use_bias:
            outputs = outputs + self.bias
        return keras.ops.reshape(outputs, (-1, 1, 1, self.filters))
