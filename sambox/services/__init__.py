"""The only layer that touches samic_core's torch parts: SAM engine, embeddings, downloads.

Everything slow runs in a Worker on a thread pool; results come back as Qt signals carrying
plain values (numpy arrays, dataclasses), never widgets.
"""

from sambox.model.decoding import DecodeRequest, DecodeResult, EngineConfig
from sambox.services.sam_service import SamService
from sambox.services.workers import Cancelled, JobContext, Worker, WorkerSignals

__all__ = [
    "Cancelled",
    "DecodeRequest",
    "DecodeResult",
    "EngineConfig",
    "JobContext",
    "SamService",
    "Worker",
    "WorkerSignals",
]
