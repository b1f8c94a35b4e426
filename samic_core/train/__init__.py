"""SAMIC training: episodes from annotated folders, the paper's loss, the loop.

Model files (written here, read by inference too) live in samic_core.modelfile.
"""
