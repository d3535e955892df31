"""Fast training and evaluation: the whole dataset lives on the device as tensors.

The tutorial feeds the model through a ``DataLoader`` over a ``TensorDataset``, which
indexes and collates 128 samples one by one for every batch. Here each epoch draws one
seeded permutation, and every batch is a single ``index_select`` on the device; the loss
is read back only when it is logged, so the device never waits for the host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

LogFn = Callable[[dict, int], None]


class DeviceError(RuntimeError):
    """The requested device cannot be used."""


def pick_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when present, else the CPU; ``cuda`` fails clearly without a GPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("--device cuda was asked for but torch sees no CUDA GPU: use --device auto or cpu")
    if name not in ("cpu", "cuda"):
        raise DeviceError(f"unknown device {name!r}: use auto, cpu or cuda")
    return torch.device(name)


def make_optimizer(model: nn.Module, name: str, device: torch.device) -> torch.optim.Optimizer:
    """``torch.optim.<name>`` with its defaults (the tutorial's); fused kernels on CUDA."""
    cls = getattr(torch.optim, name)
    if device.type == "cuda" and name in ("Adam", "AdamW", "SGD"):
        return cls(model.parameters(), fused=True)
    return cls(model.parameters())


@dataclass
class Evaluation:
    """A batched pass over a split: mean loss, accuracy (%), and per-example results."""

    loss: float
    accuracy: float
    losses: torch.Tensor  # per example, on the CPU
    predictions: torch.Tensor

    def hardest(self, k: int) -> torch.Tensor:
        """Indices of the ``k`` highest-loss examples, highest first."""
        return torch.topk(self.losses, min(k, len(self.losses))).indices


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000, desc: str = "evaluate"
) -> Evaluation:
    """Per-example loss and prediction for every example, in large batches on the device."""
    model.eval()
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    losses, predictions = [], []
    for start in tqdm(range(0, len(x), batch_size), desc=desc, unit="batch", leave=False, disable=None):
        output = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        losses.append(F.cross_entropy(output, target, reduction="none"))
        predictions.append(output.argmax(dim=1))
    all_losses = torch.cat(losses).cpu()
    all_predictions = torch.cat(predictions).cpu()
    correct = (all_predictions == y.cpu()).sum().item()
    return Evaluation(
        loss=all_losses.mean().item(),
        accuracy=100.0 * correct / max(len(y), 1),
        losses=all_losses,
        predictions=all_predictions,
    )


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    on_batch: Callable[[int, torch.Tensor, int], None] | None = None,
    desc: str = "train",
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> float:
    """One epoch over device-resident tensors in a seeded random order; returns the mean loss.

    ``on_batch(batch_index, loss, batch_len)`` is called after each step with the loss
    still on the device (reading it forces a sync, so callers do it only when logging).
    """
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device, non_blocking=True)
    total = torch.zeros((), device=x.device)
    batches = range(0, len(x), batch_size)
    for index, start in enumerate(tqdm(batches, desc=desc, unit="batch", leave=False, disable=None)):
        idx = order[start : start + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.detach() * len(idx)
        if on_batch is not None:
            on_batch(index, loss, len(idx))
    return total.item() / max(len(x), 1)


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    valid: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    optimizer: str,
    seed: int,
    log: LogFn,
    log_interval: int = 25,
    max_lr: float | None = None,
) -> Evaluation | None:
    """Train as the tutorial does (history at ``step=example_ct``), but fast.

    Logs ``{"epoch", "train/loss"}`` every ``log_interval`` batches and
    ``{"epoch", "validation/loss", "validation/accuracy"}`` after every epoch; returns
    the last validation result. With ``max_lr`` the learning rate follows a one-cycle
    schedule (warm up to ``max_lr``, then anneal towards zero), stepped every batch.
    """
    device = next(model.parameters()).device
    x, y = train[0].to(device), train[1].to(device)
    opt = make_optimizer(model, optimizer, device)
    scheduler = None
    if max_lr is not None:
        steps = epochs * -(-len(x) // batch_size)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)  # on the CPU: the same order on every device
    torch.manual_seed(seed)  # dropout
    example_ct = 0
    result = None
    for epoch in range(epochs):

        def on_batch(index: int, loss: torch.Tensor, n: int, epoch: int = epoch) -> None:
            nonlocal example_ct
            example_ct += n
            if index % log_interval == 0:
                log({"epoch": epoch, "train/loss": loss.item()}, example_ct)

        desc = f"epoch {epoch + 1}/{epochs}"
        train_epoch(model, opt, x, y, batch_size, generator, on_batch, desc=desc, scheduler=scheduler)
        result = evaluate(model, *valid, desc=f"validate {epoch + 1}/{epochs}")
        log({"epoch": epoch, "validation/loss": result.loss, "validation/accuracy": result.accuracy}, example_ct)
    return result
