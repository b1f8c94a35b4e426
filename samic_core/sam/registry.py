"""The click engines' models, one row each: family, checkpoint file, input transform, sizes.

Torch-free (the app's settings dialog and `samic weights list` read it on any thread). A row
says which engine a model type belongs to (build.py's ENGINES builds it: engine.py for SAM 1,
sam2_engine.py for SAM 2.1), where its checkpoint comes from and where it goes, and the encoder
shapes by which the loaders (loading.py, sam2_loading.py) tell it from a file.

SAM 1 checkpoints are segment_anything's plain state dicts, with the sha256 Meta's files have.
SAM 2.1 checkpoints are Meta's `.pt` files as they are (a dict whose "model" entry is the state
dict); Meta publishes no checksum for them, so their download checks the length the server
declares and is then identified by the sha256 this project computes (the cache keys use it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from samic_core.config import SAM_MODEL_TYPES, SamModelType
from samic_core.paths import checkpoints_dir

Family = Literal["sam", "sam2"]
SAM1_URL = "https://dl.fbaipublicfiles.com/segment_anything/"
SAM2_URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"


@dataclass(frozen=True)
class CheckpointInfo:
    """An official checkpoint: registry name, file name, size in bytes and sha256 (None where
    the publisher gives none: then `size` is approximate, for display only)."""

    model_type: str
    filename: str
    size: int
    sha256: str | None
    base_url: str = SAM1_URL

    @property
    def url(self) -> str:
        return self.base_url + self.filename

    def default_path(self) -> Path:
        return checkpoints_dir() / self.filename


@dataclass(frozen=True)
class ModelSpec:
    """One model: its engine family, parameters (millions), checkpoint, and for SAM 2.1 the
    hydra config `sam2.build_sam.build_sam2` builds it from.

    transform: how an image reaches the encoder, for docs and the settings dialog
    ("longest side 1024, padded" for SAM 1, "1024 x 1024 square" for SAM 2.1)."""

    name: SamModelType
    family: Family
    params_m: float
    checkpoint: CheckpointInfo
    sam2_config: str | None = None
    # how the loaders tell the sizes apart: SAM 1's ViT (width, depth, heads, global blocks),
    # SAM 2.1's Hiera trunk (width, blocks), as read off a checkpoint's weights
    vit: tuple[int, int, int, tuple[int, ...]] | None = None
    hiera: tuple[int, int] | None = None

    @property
    def transform(self) -> str:
        return "longest side to 1024, padded" if self.family == "sam" else "1024 x 1024 square"

    @property
    def download_label(self) -> str:
        """The app's download button: "Download SAM vit_b (375 MB)"."""
        engine = "SAM" if self.family == "sam" else "SAM 2.1"
        about = "" if self.checkpoint.sha256 else "~"
        size = f"{about}{self.checkpoint.size / 1e6:.0f} MB"
        return f"Download {engine} {self.name.removeprefix('sam2.1_')} ({size})"

    @property
    def label(self) -> str:
        """What the settings dialog and `samic weights list` call it."""
        engine = "SAM" if self.family == "sam" else "SAM 2.1"
        return f"{engine} {self.name.removeprefix('sam2.1_')} ({self.params_m:g} M parameters)"


def _sam1(name: SamModelType, file: str, size: int, sha: str, params: float,
          vit: tuple[int, int, int, tuple[int, ...]]) -> ModelSpec:  # fmt: skip
    return ModelSpec(name, "sam", params, CheckpointInfo(name, file, size, sha), vit=vit)


def _sam2(name: SamModelType, file: str, size_mb: int, config: str, params: float,
          hiera: tuple[int, int]) -> ModelSpec:  # fmt: skip
    info = CheckpointInfo(name, file, size_mb * 1_000_000, None, SAM2_URL)
    return ModelSpec(name, "sam2", params, info, f"configs/sam2.1/{config}", hiera=hiera)


MODELS: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        _sam1("vit_b", "sam_vit_b_01ec64.pth", 375_042_383,
              "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912", 94,
              (768, 12, 12, (2, 5, 8, 11))),
        _sam1("vit_l", "sam_vit_l_0b3195.pth", 1_249_524_607,
              "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622", 312,
              (1024, 24, 16, (5, 11, 17, 23))),
        _sam1("vit_h", "sam_vit_h_4b8939.pth", 2_564_550_879,
              "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e", 641,
              (1280, 32, 16, (7, 15, 23, 31))),
        _sam2("sam2.1_hiera_t", "sam2.1_hiera_tiny.pt", 156, "sam2.1_hiera_t.yaml", 39, (96, 12)),
        _sam2("sam2.1_hiera_s", "sam2.1_hiera_small.pt", 185, "sam2.1_hiera_s.yaml", 46, (96, 16)),
        _sam2("sam2.1_hiera_b+", "sam2.1_hiera_base_plus.pt", 324, "sam2.1_hiera_b+.yaml", 81,
              (112, 24)),
        _sam2("sam2.1_hiera_l", "sam2.1_hiera_large.pt", 898, "sam2.1_hiera_l.yaml", 224,
              (144, 48)),
    )
}  # fmt: skip
assert tuple(MODELS) == SAM_MODEL_TYPES


def family_of(model_type: str) -> Family | None:
    """The engine family of a model type name, or None for "auto" / "custom"."""
    spec = MODELS.get(model_type)
    return None if spec is None else spec.family
