"""Live emission: a run sends START when it begins and its terminal event when it ends.

Off unless OpenLineage is configured the client's own way: ``OPENLINEAGE_URL`` (with
``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``), ``OPENLINEAGE_CONFIG`` or an
``openlineage.yml`` in the working directory or ``~/.openlineage/``, or
``OPENLINEAGE__TRANSPORT__...`` variables. ``OPENLINEAGE_DISABLED=true`` or
``LINEAGE_OPENLINEAGE=off`` turns it off. A run reads this once, when it starts: its
terminal event goes out exactly when its START did. While off, this module costs a run a
few ``stat`` calls and never imports the client.

A down or slow endpoint never fails a run and costs it little: each event gets one try
with a LIVE_TIMEOUT_S timeout and no retries; an event not delivered is kept in the
store (``openlineage_backlog``), and for DOWN_PAUSE_S after a failure this process
keeps events at once instead of trying again. A run's later events queue behind its
kept ones, so a consumer sees each run's events in order. ``lineage export --format
openlineage --send`` delivers the backlog with the configured transport's own timeouts
and retries, deleting each event once the endpoint took it. A run whose process died
gets its ABORT kept when a store notices the crash (opening a store does no network).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LineageError
from ..storage import backlog

if TYPE_CHECKING:
    from ..store import StoreHandle as Store

LIVE_TIMEOUT_S = 0.5
DOWN_PAUSE_S = 60.0
NO_RETRY = {"total": 0, "connect": 0, "read": 0, "redirect": 0, "status": 0}
SETTING = "LINEAGE_OPENLINEAGE"
log = logging.getLogger("lineage.openlineage")
_down_until: dict[str, float] = {}
RACY_NS = 20_000_000  # as the re-log cache's (lineage.store.RACY_NS): a folder this fresh may change again


_configured: dict[tuple, bool] = {}


def configured() -> bool:
    """True when the OpenLineage client is configured and emission is not turned off.

    Asked once a run, at its start: the answer is kept per process, keyed by everything it depends on
    (the variables, the working folder, and the mtimes of the folders that would hold an
    ``openlineage.yml``, which change when one is created or removed).
    """
    key = _setting_key()
    found = _configured.get(key)
    if found is None:
        found = _configured_now()
        # A folder changed within a timestamp tick could change again unseen: not kept.
        if max((m for m in key[-2:] if m is not None), default=0) < time.time_ns() - RACY_NS:
            if len(_configured) > 64:  # a process that keeps changing folders or variables
                _configured.clear()
            _configured[key] = found
    return found


# os.environ's own dict of undecoded names (POSIX): scanning it is 3x faster than
# iterating os.environ, which decodes every name. Every change to os.environ lands there.
_RAW_ENV = getattr(os.environ, "_data", None)


def _setting_key() -> tuple:
    env = os.environ
    home = env.get("HOME")
    names = (
        [k for k in _RAW_ENV if k[:11] == b"OPENLINEAGE"]
        if isinstance(_RAW_ENV, dict)
        else [k for k in env if k.startswith("OPENLINEAGE")]
    )
    variables = tuple((name, _RAW_ENV[name] if isinstance(_RAW_ENV, dict) else env[name]) for name in names)
    folders: list[int | None] = []
    for folder in (".", os.path.expanduser("~/.openlineage")):
        try:
            st = os.stat(folder)
            folders.append(max(st.st_mtime_ns, st.st_ctime_ns))
        except OSError:
            folders.append(None)
    return os.getcwd(), home, env.get(SETTING), variables, *folders


def _configured_now() -> bool:
    env = os.environ
    if env.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    if env.get(SETTING, "").strip().lower() in ("off", "0", "false", "no"):
        return False
    if env.get("OPENLINEAGE_URL") or env.get("OPENLINEAGE_CONFIG"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in env):
        return True
    try:
        home = Path.home() / ".openlineage" / "openlineage.yml"
    except RuntimeError:
        home = None
    # os.path.isfile, not Path.is_file: a folder this user may not read means no file, not an error.
    return os.path.isfile("openlineage.yml") or (home is not None and os.path.isfile(home))


def _config_key() -> tuple:
    """What the client's configuration depends on: its variables and config files' mtimes."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("OPENLINEAGE")))
    files = []
    for path in (os.environ.get("OPENLINEAGE_CONFIG"), "openlineage.yml", "~/.openlineage/openlineage.yml"):
        if path:
            try:
                full = os.path.abspath(os.path.expanduser(path))
                files.append((full, os.stat(full).st_mtime_ns))
            except OSError:
                pass
    return env, tuple(files)


_live_transports: dict[tuple, Any] = {}


def live_transport() -> Any:
    """The bounded transport for live emission, built once per configuration."""
    key = _config_key()
    found = _live_transports.get(key)
    if found is None:
        found = _live_transports[key] = transport(live=True)
    return found


def transport(live: bool) -> Any:
    """The transport the client's configuration names; ``live`` bounds HTTP timeouts and retries."""
    from openlineage.client import OpenLineageClient

    before = set(os.environ)
    try:
        found = OpenLineageClient().transport
    finally:
        # The client writes OPENLINEAGE__TRANSPORT__... aliases of OPENLINEAGE_URL into
        # os.environ; they would outlive the setting they came from, so they are removed.
        for key in set(os.environ) - before:
            del os.environ[key]
    return _bounded(found) if live else found


def _bounded(found: Any) -> Any:
    import attr
    from openlineage.client.transport.composite import CompositeTransport
    from openlineage.client.transport.http import HttpTransport

    if isinstance(found, HttpTransport):
        config = attr.evolve(found.config, timeout=LIVE_TIMEOUT_S, retry=NO_RETRY, session=None, adapter=None)
        return HttpTransport(config)
    if isinstance(found, CompositeTransport):
        found.__dict__["transports"] = [_bounded(t) for t in found.transports]
    return found


def _key(found: Any) -> str:
    return f"{getattr(found, 'kind', '?')}:{getattr(found, 'url', '')}{getattr(found, 'endpoint', '')}"


def emit(store: Store, run_id: str, end: bool, on: bool | None = None) -> bool:
    """Send the run's START (or terminal) event if emission is on; never raises.

    ``on`` is what the run's START found (the return value): a run's terminal event goes
    out exactly when its START did, so a consumer never sees one without the other, and
    a run reads the configuration once.
    """
    if not (configured() if on is None else on):
        return False
    try:
        from .events import event_for, to_json

        event = event_for(store, run_id, end)
        text = to_json(event)
    except Exception as exc:  # a broken configuration or client must not fail the run
        log.warning("lineage: no OpenLineage event for run %s (%s: %s)", run_id, type(exc).__name__, exc)
        return True
    assert event.eventType is not None  # every event lineage makes has a type
    kind = event.eventType.value
    try:
        found = live_transport()
        key = _key(found)
        if _down_until.get(key, 0.0) <= time.monotonic() and not backlog.holds_run(store.db, run_id):
            try:
                found.emit(event)
                return True
            except Exception as exc:
                _down_until[key] = time.monotonic() + DOWN_PAUSE_S
                log.warning(
                    "lineage: the OpenLineage endpoint did not take the %s event of run %s (%s): kept in the store; "
                    "deliver it with 'lineage export --format openlineage --send'",
                    kind,
                    run_id,
                    _reason(exc),
                )
    except Exception as exc:
        log.warning("lineage: OpenLineage transport unusable (%s): event kept in the store", _reason(exc))
    try:
        backlog.keep(store.db, run_id, kind, text)
    except Exception as exc:
        log.warning("lineage: could not keep the OpenLineage event of run %s (%s)", run_id, exc)
    return True


def keep_ends(store: Store, run_ids: list[str]) -> None:
    """Keep the ABORT events of runs just found crashed, if emission is on; never raises.

    Opening a store finds them, and opening does no network: ``--send`` delivers them.
    """
    if not configured():
        return
    try:
        from .events import event_for, to_json

        for run_id in run_ids:
            event = event_for(store, run_id, end=True)
            assert event.eventType is not None
            backlog.keep(store.db, run_id, event.eventType.value, to_json(event))
    except Exception as exc:
        log.warning("lineage: could not keep the OpenLineage ABORT events of crashed runs (%s)", _reason(exc))


def _reason(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def send_backlog(store: Store) -> tuple[int, int]:
    """Deliver the kept events in order, each once; returns (sent, still kept).

    Stops at the first event the endpoint does not take, with an error saying how many
    were sent; the rest stay kept for the next ``--send``.
    """
    import json

    db = store.db
    if not backlog.count(db):
        return 0, 0
    if not configured():
        raise LineageError(
            f"{backlog.count(db)} OpenLineage event(s) are kept but no endpoint is configured: "
            "set OPENLINEAGE_URL (or write openlineage.yml) and run --send again"
        )
    with store.task_lock("openlineage-send", "another 'lineage export --send' is delivering this store's events"):
        rows = backlog.pending(db)  # read under the lock: no other sender holds them
        found = transport(live=False)
        sent = 0
        for event_id, _, _, text in rows:
            try:
                # The stored JSON goes out as it is: the transport serializes a dict unchanged.
                found.emit(json.loads(text))
            except Exception as exc:
                raise LineageError(
                    f"the OpenLineage endpoint did not take a kept event ({_reason(exc)}): sent {sent}, "
                    f"{len(rows) - sent} still kept; run --send again when it is up"
                ) from None
            backlog.delivered(db, event_id)
            sent += 1
        return sent, backlog.count(db)
