"""What one training run learns from: the folder's annotated images (or their tiles), the
train/validation split, the erased copies and the validation episodes, read once per run."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from samic_core.config import DEFAULT_SHOTS
from samic_core.tiles.spec import parse_tile
from samic_core.train.config import TrainConfig
from samic_core.train.episodes import (
    AnnotatedImage,
    Split,
    TrainingEpisode,
    check_enough,
    filter_classes,
    scan_folder,
    split_by_image,
    val_episodes,
)
from samic_core.train.erase import with_erased
from samic_core.train.peak_fit import fit_episodes
from samic_core.train.schedule import Schedule
from samic_core.train.tiling import tile_training_images, training_tile

log = logging.getLogger(__name__)


@dataclass
class FolderData:
    """config: the run's config with `tile` resolved ("off" or the tile side in pixels)."""

    config: TrainConfig
    originals: list[AnnotatedImage]  # whole images: a model of tiles fits its rule on them
    images: list[AnnotatedImage]  # what episodes index: images or tiles, then erased copies
    classes: list[str]
    split: Split
    erased: list[int]  # the erased copies' indices: the presence gate's empty targets
    val: list[TrainingEpisode]  # validation episodes (the validation loss)
    # K-shot groups of the validation targets whose peaks score every epoch (the score chooses
    # the best epoch and the stop); only where the output floor means "nothing" (BCE)
    score_groups: list[list[TrainingEpisode]]


def read_folder_data(config: TrainConfig, schedule: Schedule) -> FolderData:
    """Scan `config.folder` as `schedule` wants it, tile it when its objects are small in big
    images (train/tiling.py), split it by image and draw the fixed validation episodes."""
    images = scan_folder(
        config.folder,
        None,
        config.annotations,
        negatives=schedule.negatives,
        masks=bool(config.erase and config.presence),
    )
    if config.classes:
        images = filter_classes(images, list(config.classes))
    originals = images
    tile = training_tile(parse_tile(str(config.tile)), images, config.image_size)
    if tile is not None:
        images = tile_training_images(images, tile, config.seed)
        log.info("training on %d tiles of %d px", len(images), tile)
    config = dataclasses.replace(config, tile="off" if tile is None else tile)
    classes = check_enough(images, config.folder)
    split = split_by_image(images, config.val_fraction, config.seed)
    erased: list[int] = []
    if config.erase and config.presence:
        images, erased = with_erased(images, split)
    val = val_episodes(images, split, config.seed, schedule.refs_per_target)
    groups = (
        fit_episodes(images, split, DEFAULT_SHOTS, config.seed)
        if "bce" in schedule.loss_terms
        else []
    )
    return FolderData(config, originals, images, classes, split, erased, val, groups)
