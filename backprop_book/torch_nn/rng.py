"""The model's random draws, kept apart from torch's global generators.

``nn.Module`` initialisers and ``nn.Dropout`` take no ``generator`` argument: they
draw from torch's default generators.  Seeding those (``torch.manual_seed``) to
make a run repeatable would change the draws of any other code in the process,
and any other code could change the run's.  :class:`ModelRNG` holds the states
instead and lends them to torch's default generators only for the blocks that
build or train the model.
"""

from __future__ import annotations

import torch

__all__ = ["ModelRNG"]


class ModelRNG:
    """The model's random draws (initialisation, dropout), kept apart from torch's global RNG.

    ``nn.Module`` initialisers and ``nn.Dropout`` take no generator: they draw from
    torch's default generators.  ``with rng:`` lends this object's states to them
    for the duration of the block and takes the advanced states back, so the
    global generators end as they were and nothing outside the block changes
    the model's draws.  The states start as ``torch.manual_seed(seed)`` would set
    them (CPU, and the training device's generator on CUDA or MPS), so a run draws
    exactly what it drew when the trainer seeded the global generators.

    >>> rng, before = ModelRNG(0), torch.get_rng_state()
    >>> with rng:
    ...     a = torch.rand(2)
    >>> seeded = torch.Generator().manual_seed(0)  # what torch.manual_seed(0) would draw
    >>> torch.equal(a, torch.rand(2, generator=seeded)), torch.equal(torch.get_rng_state(), before)
    (True, True)
    >>> with rng:  # the next block continues where the last one stopped
    ...     torch.equal(torch.rand(2), torch.rand(2, generator=seeded))
    True
    """

    def __init__(self, seed: int, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        #: the CPU generator (initialisation runs on the CPU, and dropout of CPU runs)
        self.generator = torch.Generator().manual_seed(seed)
        self.device_state: torch.Tensor | None = None  # the CUDA / MPS generator's state
        if self.device.type in ("cuda", "mps"):
            saved = self._get_device()
            self._seed_device(seed)
            self.device_state = self._get_device()
            self._set_device(saved)

    def _seed_device(self, seed: int) -> None:
        if self.device.type == "cuda":
            with torch.cuda.device(self.device):
                torch.cuda.manual_seed(seed)
        else:
            torch.mps.manual_seed(seed)

    def _get_device(self) -> torch.Tensor:
        if self.device.type == "cuda":
            return torch.cuda.get_rng_state(self.device)
        return torch.mps.get_rng_state()

    def _set_device(self, state: torch.Tensor) -> None:
        if self.device.type == "cuda":
            torch.cuda.set_rng_state(state, self.device)
        else:
            torch.mps.set_rng_state(state)

    def __enter__(self) -> ModelRNG:
        self._saved = (
            torch.get_rng_state(),
            self._get_device() if self.device_state is not None else None,
        )
        torch.set_rng_state(self.generator.get_state())
        if self.device_state is not None:
            self._set_device(self.device_state)
        return self

    def __exit__(self, *exc: object) -> None:
        self.generator.set_state(torch.get_rng_state())
        cpu, dev = self._saved
        torch.set_rng_state(cpu)
        if self.device_state is not None and dev is not None:
            self.device_state = self._get_device()
            self._set_device(dev)

    def states(self) -> dict[str, torch.Tensor]:
        """``{"torch": CPU state[, "cuda" | "mps": device state]}`` (as checkpoints store them)."""
        out = {"torch": self.generator.get_state()}
        if self.device_state is not None:
            out[self.device.type] = self.device_state
        return out

    def set_states(self, states: dict[str, torch.Tensor]) -> None:
        """Restore :meth:`states` (a key for another device type is ignored)."""
        self.generator.set_state(states["torch"])
        if self.device_state is not None and self.device.type in states:
            self.device_state = states[self.device.type]
