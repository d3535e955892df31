"""Training speed: the W&B tutorial's DataLoader loop versus the pipeline's loop, side by side.

    .venv/bin/python bench/train.py [--data DIR] [--device auto|cpu|cuda] [--repeats N]
                                    [--limit N] [--epochs N] [--no-accuracy]

Both loops train the same ConvNet (from the same initial weights) with Adam and batch 128
on the same device, one epoch per timing, alternating, and the median of ``--repeats``
timings of each is compared. The tutorial's loop is its own: ``DataLoader`` over a
``TensorDataset`` of CPU tensors, each batch moved to the device, the loss read back every
25 batches. The pipeline's loop is ``pipeline.training.train_epoch``, logging as often.
Then the pipeline trains for ``--epochs`` (5) the way ``python -m pipeline`` does and
prints the test accuracy. ``--limit`` trains on the first N images only (a quick look).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.data import load_mnist  # noqa: E402
from pipeline.model import MODEL_CONFIG, build_model  # noqa: E402
from pipeline.steps import TRAIN_CONFIG, preprocess  # noqa: E402
from pipeline.training import evaluate, fit, make_optimizer, pick_device, train_epoch  # noqa: E402

BATCH = 128
LOG_EVERY = 25


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def tutorial_epoch(model, optimizer, loader, device) -> float:
    """The tutorial's ``train`` inner loop, verbatim but for the print."""
    model.train()
    example_ct = 0
    for batch_idx, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        example_ct += len(data)
        if batch_idx % LOG_EVERY == 0:
            loss.item()  # what the tutorial's train_log float(loss) does: a host read of the loss
    return example_ct


def timed(fn, device) -> float:
    sync(device)
    began = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each loop (median)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--epochs", type=int, default=5, help="epochs for the accuracy run")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the accuracy run")
    args = parser.parse_args()

    device = pick_device(args.device)
    (train_x, train_y), (test_x, test_y) = load_mnist(args.data)
    n_train = len(train_x) * 5 // 6
    x, y = preprocess(train_x[:n_train], train_y[:n_train])
    vx, vy = preprocess(train_x[n_train:], train_y[n_train:])
    tx, ty = preprocess(test_x, test_y)
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    print(f"device {device}, {torch.get_num_threads()} CPU threads, {len(x):,} training images, batch {BATCH}")

    torch.manual_seed(0)
    initial = build_model(MODEL_CONFIG).to(device)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH)
    dx, dy = x.to(device), y.to(device)
    generator = torch.Generator().manual_seed(0)

    def log_like_tutorial(index: int, loss: torch.Tensor, n: int) -> None:
        if index % LOG_EVERY == 0:
            loss.item()

    models = {}
    for name in ("tutorial", "pipeline"):
        model = copy.deepcopy(initial)
        models[name] = (model, make_optimizer(model, TRAIN_CONFIG["optimizer"], device))
    runs = {
        "tutorial": lambda: tutorial_epoch(*models["tutorial"], loader, device),
        "pipeline": lambda: train_epoch(*models["pipeline"], dx, dy, BATCH, generator, log_like_tutorial),
    }
    warm = min(len(x), 20 * BATCH)  # cuDNN and allocator set-up happen outside the timings
    tutorial_epoch(*models["tutorial"], DataLoader(TensorDataset(x[:warm], y[:warm]), batch_size=BATCH), device)
    train_epoch(*models["pipeline"], dx[:warm], dy[:warm], BATCH, generator)
    times: dict[str, list[float]] = {"tutorial": [], "pipeline": []}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            times[name].append(timed(fn, device))
    tut, pipe = statistics.median(times["tutorial"]), statistics.median(times["pipeline"])
    for name, label in (("tutorial", "tutorial DataLoader loop"), ("pipeline", "pipeline loop")):
        runs_text = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"one epoch, {label + ':':26} median {statistics.median(times[name]):.2f} s  ({runs_text})")
    print(f"speed-up (tutorial / pipeline): {tut / pipe:.2f}x on {device.type}")

    if not args.no_accuracy:
        model = copy.deepcopy(initial)
        began = time.perf_counter()
        fit(
            model,
            (x, y),
            (vx, vy),
            epochs=args.epochs,
            batch_size=BATCH,
            optimizer=TRAIN_CONFIG["optimizer"],
            seed=0,
            log=lambda metrics, step: None,
            max_lr=TRAIN_CONFIG["max_lr"],
        )
        sync(device)
        seconds = time.perf_counter() - began
        result = evaluate(model, tx, ty, desc="test")
        print(f"{args.epochs} epochs in {seconds:.1f} s ({seconds / args.epochs:.1f} s/epoch incl. validation)")
        print(f"test accuracy after {args.epochs} epochs: {result.accuracy:.2f}% (loss {result.loss:.4f})")


if __name__ == "__main__":
    main()
