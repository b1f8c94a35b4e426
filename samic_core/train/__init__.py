"""SAMIC training: episodes from annotated folders, the paper's loss, the loop, model files."""
