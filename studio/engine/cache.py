"""A small LRU cache of loaded models and their directions, owned by the worker thread."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch

from studio.models.catalog import resolve_model
from studio.models.checkpoint import LoadedModel, load_checkpoint
from studio.models.registry import GENERATIVE_KINDS


class ModelCache:
    """Keeps the ``capacity`` most recently used models on the device."""

    def __init__(self, device: torch.device, capacity: int = 3) -> None:
        self.device = device
        self.capacity = capacity
        self._models: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()
        self._paths: dict[str, Path] = {}  # name → file, so frames skip the folder scan

    def get(
        self, name: str, device: torch.device | None = None, drawing: bool = True
    ) -> LoadedModel:
        """The loaded model for a registry name or path, loading it if needed.

        With ``drawing``, a model that cannot make images (the metrics network) is
        refused in plain words.
        """
        model = self._get(name, device)
        if drawing and model.kind not in GENERATIVE_KINDS:
            raise ValueError(f"{model.name} is a {model.kind} network; it does not draw images.")
        return model

    def _get(self, name: str, device: torch.device | None) -> LoadedModel:
        dev = device or self.device
        path = self._paths.get(name)
        if path is None or not path.is_file():
            path = self._paths[name] = Path(resolve_model(name))
        # The file's size and time are part of the key: a republished model reloads.
        st = path.stat()
        key = (f"{path.resolve()}:{st.st_mtime_ns}:{st.st_size}", str(dev))
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        model = load_checkpoint(path, dev)
        self._models[key] = model
        while len(self._models) > self.capacity:
            self._models.popitem(last=False)
        return model

    def clear(self) -> None:
        self._models.clear()
        self._paths.clear()
