"""``python -m pipeline``: the W&B artifacts tutorial's five steps, tracked in a lineage store.

    python -m pipeline [--store DIR] [--data DIR] [--artifacts DIR] [--device auto|cpu|cuda]
                       [--epochs N] [--seed N] [STEP ...]

Steps (all five by default, in this order): load-data, preprocess-data, initialize,
train, report. It ends with a one-paragraph summary, the lineage graph of what this
invocation logged and used, and the test accuracy. A user error prints one line and
exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .data import DataError
from .steps import STEPS, MissingInputError, Outcome, Settings
from .training import DeviceError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description="Run the MNIST pipeline of the W&B artifacts tutorial, tracked."
    )
    parser.add_argument("steps", nargs="*", metavar="STEP", help=f"steps to run (default: all): {', '.join(STEPS)}")
    parser.add_argument("--store", type=Path, default=None, help="lineage store folder (default: as lineage finds it)")
    parser.add_argument("--data", type=Path, default=Path("data"), help="MNIST folder (default: ./data)")
    parser.add_argument(
        "--artifacts", type=Path, default=Path("artifacts"), help="where downloads go (default: ./artifacts)"
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default: 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data order, init and dropout (default: 0)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step {unknown[0]!r}: choose from {', '.join(STEPS)}")
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen steps; print the summary, the lineage graph and the test accuracy."""
    args = parse_args(argv)
    import lineage

    store = lineage.Store(args.store)  # resolves $LINEAGE_DIR / .lineage as lineage does
    settings = Settings(
        store=store.dir,
        data=args.data,
        artifacts=args.artifacts,
        device=args.device,
        epochs=args.epochs,
        seed=args.seed,
    )
    outcomes: list[Outcome] = []
    began = time.perf_counter()
    try:
        for name in args.steps or list(STEPS):
            print(f"== {name}", file=sys.stderr, flush=True)
            outcomes.append(STEPS[name](settings))
    except (MissingInputError, DataError, DeviceError, lineage.LineageError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(summary(outcomes, settings, time.perf_counter() - began))
    print()
    print(f"Lineage graph of this invocation (store {settings.store}):")
    for source, kind, target in graph_edges(store, [o.run_id for o in outcomes]):
        print(f"  {source} -> {target}  [{kind}]")
    final = next((o for o in outcomes if o.step == "report"), None)
    if final is not None:
        print()
        print(f"test accuracy: {final.facts['test_accuracy']:.2f}% (loss {final.facts['test_loss']:.4f})")
    return 0


def graph_edges(store, run_ids: list[str]) -> list[tuple[str, str, str]]:
    """(source label, kind, target label) for every edge touching the given runs, in data-flow order."""
    return edges_of_runs(store.graph(explode=True), run_ids)


def edges_of_runs(graph, run_ids: list[str]) -> list[tuple[str, str, str]]:
    """The edges of an exploded lineage graph that touch the given runs, labelled, sources first."""
    import networkx as nx

    keep = {f"run:{r}" for r in run_ids}
    edges = [(u, v, d["kind"]) for u, v, d in graph.edges(data=True) if u in keep or v in keep]
    sub = nx.DiGraph([(u, v) for u, v, _ in edges])
    try:
        rank = {node: i for i, node in enumerate(nx.lexicographical_topological_sort(sub))}
    except nx.NetworkXUnfeasible:  # a run that used what it logged: keep the store's order
        rank = {node: i for i, node in enumerate(sub.nodes)}
    edges.sort(key=lambda e: (rank[e[0]], rank[e[1]]))
    nodes = graph.nodes
    return [(nodes[u]["label"], kind, nodes[v]["label"]) for u, v, kind in edges]


def summary(outcomes: list[Outcome], settings: Settings, seconds: float) -> str:
    """One paragraph saying what ran, what it logged, and how well the model did."""
    parts = [f"Ran {len(outcomes)} step{'s' if len(outcomes) != 1 else ''} in {seconds:.1f} s"]
    for o in outcomes:
        detail = f"{o.run} ({o.seconds:.1f} s"
        if o.used:
            detail += f", used {', '.join(o.used)}"
        if o.logged:
            detail += f", logged {', '.join(o.logged)}"
        parts.append(detail + ")")
    text = parts[0] + ": " + "; ".join(parts[1:]) + "."
    by_step = {o.step: o for o in outcomes}
    if "load-data" in by_step:
        sizes = by_step["load-data"].facts["sizes"]
        text += f" The splits hold {sizes[0]:,} training, {sizes[1]:,} validation and {sizes[2]:,} test images."
    if "train" in by_step:
        f = by_step["train"].facts
        text += f" Training ran {f['epochs']} epochs on {f['device']} in {f['train_seconds']:.1f} s"
        if "val_accuracy" in f:
            text += f", ending at validation accuracy {f['val_accuracy']:.2f}%"
        text += "."
    if "report" in by_step:
        f = by_step["report"].facts
        text += (
            f" On the {f['test_size']:,} test images the model scores {f['test_accuracy']:.2f}% "
            f"(loss {f['test_loss']:.4f}); the 32 hardest are in {f['grid']} and {f['table']}."
        )
    return text + f" Everything is recorded in the store at {settings.store}."


if __name__ == "__main__":
    sys.exit(main())
