"""The README's table of W&B calls stays true: what it says works exists, what it says is missing is missing."""

from __future__ import annotations

import re
from pathlib import Path

import lineage

README = Path(__file__).resolve().parent.parent / "README.md"


def rows() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8").split("## W&B compatibility", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 2 and cells[0] not in ("W&B call",) and not set(cells[0]) <= {"-"}:
            out.append((cells[0], cells[1]))
    return out


def module_names(call: str) -> list[tuple[str, bool]]:
    """The wandb.<name>[.<name>] attributes a table cell names, and whether it names arguments of it."""
    return [(name, bool(args.strip("()"))) for name, args in re.findall(r"`wandb\.([A-Za-z_][\w.]*)(\([^)]*\))?", call)]


def resolve(path: str) -> bool:
    target = lineage
    for part in path.split("."):
        if not hasattr(target, part):
            return False
        target = getattr(target, part)
    return True


def test_the_table_is_there_and_says_one_of_three_things():
    found = rows()
    assert len(found) > 25
    for call, answer in found:
        assert answer.startswith(("works", "accepted", "not supported")), (call, answer)


def test_what_works_exists_and_what_is_not_supported_does_not():
    for call, answer in rows():
        for name, about_arguments in module_names(call):
            name = name.rstrip(".")
            if answer.startswith("not supported"):
                if not about_arguments:  # a row about some arguments of a call that exists
                    assert not resolve(name), f"README says wandb.{name} is not supported, but lineage has it"
            else:
                assert resolve(name), f"README says wandb.{name} {answer.split()[0]}, but lineage has no {name}"
