"""``python -m lineage.cli``: the same as the ``lineage`` console script."""

from . import main

main()
