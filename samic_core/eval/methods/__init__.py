"""The methods `samic eval` compares: SAMIC, PerSAM and two trivial baselines."""

from samic_core.eval.methods.base import (
    SAM_GROUPINGS,
    Prediction,
    PromptMethod,
    Query,
    Reference,
    sam_mask,
)
from samic_core.eval.methods.baselines import CenterMethod, CopyMethod

METHOD_NAMES = ("samic", "persam", "copy", "center")

__all__ = [
    "METHOD_NAMES",
    "SAM_GROUPINGS",
    "CenterMethod",
    "CopyMethod",
    "Prediction",
    "PromptMethod",
    "Query",
    "Reference",
    "sam_mask",
]
