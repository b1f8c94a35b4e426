"""samic_core: the Qt-free library behind SAMBOX and SAMIC.

SAM engine with an on-disk embedding cache, the annotation format, heat maps and peaks,
the SAMIC in-context prompt predictor, and the `samic` command line.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
