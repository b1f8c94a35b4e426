"""SAMIC prediction: K-shot heat maps and peaks, reference choice, auto-annotation with SAM."""
