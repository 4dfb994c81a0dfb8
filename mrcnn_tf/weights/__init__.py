"""Weights: matterport-layout HDF5 files (hdf5, h5file, compatible), torchvision state dicts
read without torch and without running pickle code (state_dict; torch_pickle, torch_zip,
torch_legacy), published weights and their verified download (published, fetch, verify), and
what a file holds (info, formats). Importing this package does not load TensorFlow (only
weights.hdf5 and weights.torchvision_loader need Keras)."""
from mrcnn_tf.weights.fetch import DownloadError, fetch
from mrcnn_tf.weights.state_dict import check_state_dict, read_state_dict, torchvision_version

__all__ = ["DownloadError", "check_state_dict", "fetch", "read_state_dict",
           "torchvision_version"]
