"""What the report step writes for people: a captioned PNG grid and a CSV table."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TABLE_COLUMNS = ["index", "loss", "predicted", "true"]


def table_rows(indices, losses, predicted, true) -> list[list]:
    """One row per example: test-set index, loss, predicted label, true label."""
    return [
        [int(i), round(float(loss), 6), int(p), int(t)]
        for i, loss, p, t in zip(indices, losses, predicted, true, strict=True)
    ]


def write_table(path: Path, rows: list[list]) -> Path:
    """Write the rows as CSV with a header line."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TABLE_COLUMNS)
        writer.writerows(rows)
    return path


def grid_image(
    images: np.ndarray, captions: list[str], title: str = "", columns: int = 8, scale: int = 3
) -> Image.Image:
    """Tiles of grayscale images in [0, 1] shaped (N, H, W), each with its caption below.

    Tiles are enlarged ``scale`` times (nearest neighbour, so pixels stay sharp) and
    captioned in red, on white, under a title line, so the grid reads at a glance.
    """
    font = ImageFont.load_default()
    n, height, width = images.shape
    tile_w, tile_h, text_h, pad = width * scale, height * scale, 14, 6
    top = text_h + pad if title else 0
    rows = max(1, -(-n // columns))
    grid = Image.new("RGB", (columns * (tile_w + pad) + pad, top + rows * (tile_h + text_h + pad) + pad), "white")
    draw = ImageDraw.Draw(grid)
    if title:
        draw.text((pad, pad), title, fill=(0, 0, 0), font=font)
    for k in range(n):
        pixels = (np.clip(images[k], 0.0, 1.0) * 255).round().astype(np.uint8)
        tile = Image.fromarray(pixels, mode="L").resize((tile_w, tile_h), Image.NEAREST)
        x = pad + (k % columns) * (tile_w + pad)
        y = top + pad + (k // columns) * (tile_h + text_h + pad)
        grid.paste(tile, (x, y))
        draw.text((x + 1, y + tile_h + 1), captions[k], fill=(200, 0, 0), font=font)
    return grid
