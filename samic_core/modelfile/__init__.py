"""SAMIC model files: what training writes and inference reads.

`meta` reads a file's metadata without torch (the app lists models on its GUI thread);
`file` writes a model file and reads it back validated (weights, training state, the rebuilt
network). Inference (samic_core.predict) uses this package without importing training.
"""
