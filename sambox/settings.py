"""User settings in QSettings, behind typed properties (tests pass their own ini file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSettings

from samic_core.config import (
    CACHE_DTYPES,
    DEFAULT_BACKBONE_WEIGHTS,
    DEFAULT_CACHE_DTYPE,
    DEFAULT_DEVICE,
    DEFAULT_MODEL_TYPE,
    DEFAULT_PEAK_CHOICE,
    DEVICES,
    MODEL_TYPE_CHOICES,
    PEAK_CHOICES,
    CacheDtype,
    Device,
    ModelTypeChoice,
)
from samic_core.errors import SamicError
from samic_core.settings_values import check_cache_max_gb

CACHE_MAX_GB_KEY = "sam/cache_max_gb"
LAST_IMAGES = 50  # folders whose last shown image is remembered
C = TypeVar("C", bound=str)  # one of a vocabulary's names (a Literal of samic_core.config)


class AppSettings:
    """SAM checkpoint, model type, device, cache, autosave and view preferences."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings("samic", "sambox")

    @classmethod
    def from_file(cls, path: str | Path) -> AppSettings:
        """Settings kept in an ini file (tests, portable installs)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def _str(self, key: str, default: str = "") -> str:
        v = self.q.value(key, default)
        return default if v is None else str(v)

    def _bool(self, key: str, default: bool) -> bool:
        v = self.q.value(key, default)
        return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")

    def _choice(self, key: str, choices: tuple[C, ...], default: C) -> C:
        """The stored value when it is one of `choices`, else `default`."""
        v = self._str(key, default)
        return next((c for c in choices if c == v), default)

    # ---- SAMIC -------------------------------------------------------------------------------
    @property
    def samic_peaks(self) -> str:
        """How SAMIC heat maps become prompts (Suggest Prompts and Auto-annotate)."""
        return self._choice("samic/peaks", PEAK_CHOICES, DEFAULT_PEAK_CHOICE)

    @samic_peaks.setter
    def samic_peaks(self, v: str) -> None:
        self.q.setValue("samic/peaks", v)

    # ---- SAM ---------------------------------------------------------------------------------
    @property
    def checkpoint(self) -> Path | None:
        v = self._str("sam/checkpoint")
        return Path(v) if v else None

    @checkpoint.setter
    def checkpoint(self, path: Path | None) -> None:
        self.q.setValue("sam/checkpoint", str(path) if path else "")

    @property
    def model_type(self) -> ModelTypeChoice:
        return self._choice("sam/model_type", MODEL_TYPE_CHOICES, DEFAULT_MODEL_TYPE)

    @model_type.setter
    def model_type(self, v: str) -> None:
        self.q.setValue("sam/model_type", v)

    @property
    def device(self) -> Device:
        return self._choice("sam/device", DEVICES, DEFAULT_DEVICE)

    @device.setter
    def device(self, v: str) -> None:
        self.q.setValue("sam/device", v)

    @property
    def cache_dir(self) -> Path | None:
        v = self._str("sam/cache_dir")
        return Path(v) if v else None

    @cache_dir.setter
    def cache_dir(self, path: Path | None) -> None:
        self.q.setValue("sam/cache_dir", str(path) if path else "")

    @property
    def cache_dtype(self) -> CacheDtype:
        return self._choice("sam/cache_dtype", CACHE_DTYPES, DEFAULT_CACHE_DTYPE)

    @cache_dtype.setter
    def cache_dtype(self, v: str) -> None:
        self.q.setValue("sam/cache_dtype", v)

    @property
    def cache_max_gb(self) -> float | None:
        """Size limit of the embedding cache in GiB; None = SAMIC_CACHE_MAX_GB or 10.

        A stored value that is not a usable limit (NaN, infinite, negative, not a number) is
        not used (None) and is named by `problems()`, which the app shows.
        """
        try:
            return self._checked_cache_max_gb()
        except SamicError:
            return None

    @cache_max_gb.setter
    def cache_max_gb(self, v: float | None) -> None:
        if v is not None:
            try:
                v = check_cache_max_gb(v, CACHE_MAX_GB_KEY)
            except SamicError as e:
                raise ValueError(str(e)) from None
        self.q.setValue(CACHE_MAX_GB_KEY, "" if v is None else str(v))

    def _checked_cache_max_gb(self) -> float | None:
        """The stored cache size limit; None when unset; SamicError naming a bad one."""
        text = self._str(CACHE_MAX_GB_KEY).strip()
        return check_cache_max_gb(text, CACHE_MAX_GB_KEY) if text else None

    def problems(self) -> list[str]:
        """One line for each stored value that is not used because it is invalid."""
        try:
            self._checked_cache_max_gb()
        except SamicError as e:
            return [
                f"Settings: {e}; the default cache size limit is used until it is changed "
                "in File > Settings."
            ]
        return []

    # ---- behaviour and view ------------------------------------------------------------------
    @property
    def autosave(self) -> bool:
        return self._bool("app/autosave", True)

    @autosave.setter
    def autosave(self, v: bool) -> None:
        self.q.setValue("app/autosave", bool(v))

    @property
    def last_folder(self) -> Path | None:
        v = self._str("app/last_folder")
        return Path(v) if v else None

    @last_folder.setter
    def last_folder(self, path: Path | None) -> None:
        self.q.setValue("app/last_folder", str(path) if path else "")

    def last_image(self, folder: Path) -> str | None:
        """The image last shown in `folder` (reopened there after a restart), if remembered."""
        return self._last_images().get(str(Path(folder).resolve()))

    def remember_image(self, folder: Path, name: str) -> None:
        """Remember `name` as the image last shown in `folder` (the LAST_IMAGES latest folders)."""
        seen = self._last_images()
        key = str(Path(folder).resolve())
        seen.pop(key, None)
        seen[key] = name
        recent = dict(list(seen.items())[-LAST_IMAGES:])
        self.q.setValue("app/last_images", json.dumps(recent))

    def _last_images(self) -> dict[str, str]:
        try:
            seen = json.loads(self._str("app/last_images", "{}"))
        except (ValueError, RecursionError):  # a damaged memo is only a lost shortcut
            return {}
        if not isinstance(seen, dict):
            return {}
        return {str(k): str(v) for k, v in seen.items()}

    @property
    def overlay_opacity(self) -> float:
        try:
            return min(1.0, max(0.0, float(self._str("view/overlay_opacity", "0.45"))))
        except ValueError:
            return 0.45

    @overlay_opacity.setter
    def overlay_opacity(self, v: float) -> None:
        self.q.setValue("view/overlay_opacity", f"{min(1.0, max(0.0, v)):.2f}")

    # ---- SAMIC -------------------------------------------------------------------------------
    @property
    def backbone_weights(self) -> str:
        """The Train SAMIC dialog's last backbone choice: "imagenet", "none" or a file path."""
        v = self._str("samic/backbone_weights", DEFAULT_BACKBONE_WEIGHTS)
        return v or DEFAULT_BACKBONE_WEIGHTS

    @backbone_weights.setter
    def backbone_weights(self, v: str) -> None:
        self.q.setValue("samic/backbone_weights", v)

    def sync(self) -> None:
        self.q.sync()
