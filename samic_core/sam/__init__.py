"""Segment Anything: checkpoints, model loading, the encode/decode engine, the embedding cache."""
