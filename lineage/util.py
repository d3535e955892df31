"""``wandb.util``: the one helper W&B scripts commonly call, ``generate_id``.

Everything else in W&B's ``util`` module is internal to the W&B client and not provided.
"""

from __future__ import annotations

import secrets
import string


def generate_id(length: int = 8) -> str:
    """A random run id of lowercase letters and digits (W&B's ``wandb.util.generate_id``)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
