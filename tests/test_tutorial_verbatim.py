"""W&B's "Track models and datasets" tutorial, its code as written, under `import lineage as wandb`.

The code is taken from the tutorial's own text (tests/fixtures/tutorial/, a copy of the
public page) at test time: every ```python block in order, notebook shell lines (`!pip`,
`!tree`) dropped. The changes, each asserted to apply exactly once:
- `import wandb` -> `import lineage as wandb` (the one change a user makes);
- `"epochs": 5` -> `"epochs": 1` and `train_size=50_000` -> `train_size=512`, so the whole
  pipeline trains on 512 images for one epoch and the test stays short on a CPU.
`torchvision.datasets.MNIST(..., download=True)` is replaced, outside the tutorial's
code, by a stand-in that makes 640 training and 128 test images offline.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision")

TUTORIAL = Path(__file__).parent / "fixtures" / "tutorial" / "wandb-track-models-and-datasets.md"
CHANGES = [
    ("import wandb\n", "import lineage as wandb\n"),
    ('"epochs": 5,', '"epochs": 1,'),
    ("def load(train_size=50_000):", "def load(train_size=512):"),
]
STAND_IN = '''
import torch, torchvision


class MNIST:
    """Offline stand-in for torchvision.datasets.MNIST: deterministic digits-like images."""

    mirrors = ["http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"]

    def __init__(self, root, train=True, download=False, transform=None, target_transform=None):
        count = 640 if train else 128
        generator = torch.Generator().manual_seed(1 if train else 2)
        self.targets = torch.randint(0, 10, (count,), generator=generator)
        noise = torch.randint(0, 60, (count, 28, 28), generator=generator, dtype=torch.uint8)
        stripes = torch.zeros(count, 28, 28, dtype=torch.uint8)
        for i, label in enumerate(self.targets.tolist()):
            stripes[i, :, 2 * label : 2 * label + 6] = 190  # a learnable mark per class
        self.data = noise + stripes


torchvision.datasets.MNIST = MNIST
'''


def tutorial_code() -> str:
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    code = "".join(line for block in blocks for line in block.splitlines(keepends=True) if not line.startswith("!"))
    for old, new in CHANGES:
        assert code.count(old) == 1, f"the tutorial no longer has exactly one {old!r}"
        code = code.replace(old, new)
    return code


@pytest.mark.slow
def test_the_tutorial_runs_twice_in_one_folder_with_one_import_changed(tmp_path):
    (tmp_path / "tutorial.py").write_text(tutorial_code(), encoding="utf-8")
    (tmp_path / "mnist_stand_in.py").write_text(STAND_IN, encoding="utf-8")
    runner = "import mnist_stand_in, runpy; runpy.run_path('tutorial.py', run_name='__main__')"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINEAGE_", "WANDB_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    for attempt in (1, 2):
        done = subprocess.run(
            [sys.executable, "-c", runner], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"run {attempt}: {done.stderr[-3000:]}"

    con = sqlite3.connect(tmp_path / ".lineage" / "lineage.db")
    runs = con.execute("SELECT job_type, state, error FROM runs ORDER BY started_at").fetchall()
    jobs = ["load-data", "preprocess-data", "initialize", "train", "report"]
    assert runs == [(job, "finished", None) for job in jobs * 2]
    # Same data, same seed: the second pass makes no new data versions.
    assert con.execute(
        "SELECT a.name, count(v.id) FROM artifacts a JOIN versions v ON v.artifact_id = a.id "
        "WHERE a.name IN ('mnist-raw', 'mnist-preprocess', 'convnet') GROUP BY a.name ORDER BY a.name"
    ).fetchall() == [("convnet", 1), ("mnist-preprocess", 1), ("mnist-raw", 1)]
    reports = [r[0] for r in con.execute("SELECT id FROM runs WHERE job_type = 'report' ORDER BY started_at")]
    for run_id in reports:
        (data,) = con.execute(
            "SELECT data FROM history WHERE run_id = ? AND key = 'high-loss-examples'", (run_id,)
        ).fetchone()
        images = json.loads(data)
        assert images["_type"] == "images" and len(images["items"]) == 32
        assert all(re.fullmatch(r"\d,\d", item["caption"]) for item in images["items"])
        kept = con.execute(
            "SELECT count(*) FROM run_files WHERE run_id = ? AND path LIKE 'media/images/%.png'", (run_id,)
        ).fetchone()[0]
        assert kept == 32
        keys = {k for (k,) in con.execute("SELECT key FROM summary WHERE run_id = ?", (run_id,))}
        assert {"loss", "accuracy", "high-loss-examples"} <= keys
    con.close()
    assert (tmp_path / "artifacts" / "mnist-raw:v0" / "training.pt").is_file()
