"""Clips: frames read one at a time, objects tracked from the annotated frames to the rest."""
