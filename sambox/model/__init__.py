"""Qt-free, torch-free annotation state: documents, objects, prompts, undo history."""

from sambox.model.confidence import SATURATED_SCORE, is_saturated
from sambox.model.document import Document, ObjectState, PromptKey
from sambox.model.history import History
from sambox.model.status import ImageStatus

__all__ = [
    "SATURATED_SCORE",
    "Document",
    "History",
    "ImageStatus",
    "ObjectState",
    "PromptKey",
    "is_saturated",
]
