"""Weights: matterport-layout HDF5 files (hdf5), published weights and their download (fetch),
and what a file holds (info)."""
from mrcnn_tf.weights.fetch import DownloadError, fetch

__all__ = ["DownloadError", "fetch"]
