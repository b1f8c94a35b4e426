"""SAMBOX: the PySide6 desktop annotation app (built on samic_core)."""
