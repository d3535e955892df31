"""Live OpenLineage emission to a real HTTP receiver on 127.0.0.1, and the backlog when it is down."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import lineage
from lineage.openlineage import export, live
from tests.helpers.postgres import backend_store
from tests.test_cli import assert_one_line_error
from tests.test_cli import lineage as cli
from tests.test_openlineage import TUTORIAL, crash_a_run, log_tutorial, read_events, validate
from tests.test_openlineage import registry as registry  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]


class Receiver:
    """A Marquez-compatible endpoint: ``POST /api/v1/lineage`` takes one RunEvent as JSON."""

    def __init__(self, delay_s: float = 0.0):
        self.events: list[dict] = []
        self.delay_s = delay_s
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != "/api/v1/lineage":
                    self.send_response(404)
                    self.end_headers()
                    return
                time.sleep(receiver.delay_s)
                receiver.events.append(json.loads(body))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def dead_url() -> str:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _no_inherited_openlineage_config(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("OPENLINEAGE") or key == live.SETTING:
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.openlineage/openlineage.yml
    monkeypatch.setattr(live, "_down_until", {})


def kept(store_dir: Path) -> list[tuple[str, str]]:
    return [(r["run_id"], r["event_type"]) for r in lineage.Store(store_dir).sql(
        "SELECT run_id, event_type FROM openlineage_backlog ORDER BY id").to_pylist()]  # fmt: skip


def test_runs_send_their_events_live_and_in_order(receiver, monkeypatch, store_dir, tmp_path, registry):
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    log_tutorial(store_dir)
    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"] * 5
    assert [e["job"]["name"] for e in receiver.events[::2]] == [step[0] for step in TUTORIAL]
    for event in receiver.events:
        validate(registry, event)
    # What was sent live is what the export writes, so a consumer de-duplicates the two.
    export(lineage.Store(store_dir), tmp_path / "events.ndjson")
    assert receiver.events == read_events(tmp_path / "events.ndjson")
    assert kept(store_dir) == []


def test_a_failed_run_sends_fail_live(receiver, monkeypatch, store_dir):
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    with pytest.raises(KeyError), lineage.init(project="p", job_type="train", dir=store_dir):
        raise KeyError("epochs")
    assert [e["eventType"] for e in receiver.events] == ["START", "FAIL"]
    assert receiver.events[1]["run"]["facets"]["errorMessage"]["message"] == "KeyError: 'epochs'"


def test_a_run_sends_its_end_event_exactly_when_it_sent_its_start(receiver, monkeypatch, store_dir):
    # Configured only while the first run goes on: it sends nothing (no COMPLETE without a START).
    with lineage.init(project="p", job_type="prep", dir=store_dir):
        monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    assert receiver.events == []
    # Turned off while the second run goes on: its START went out, so its COMPLETE does too.
    with lineage.init(project="p", job_type="train", dir=store_dir):
        monkeypatch.setenv(live.SETTING, "off")
    assert [(e["eventType"], e["job"]["name"]) for e in receiver.events] == [("START", "train"), ("COMPLETE", "train")]
    # And off it stays off for the next run.
    with lineage.init(project="p", job_type="eval", dir=store_dir):
        pass
    assert len(receiver.events) == 2
    assert kept(store_dir) == []


def test_with_the_receiver_down_runs_finish_and_a_later_send_delivers_the_backlog_once(
    receiver, monkeypatch, store_dir, tmp_path
):
    monkeypatch.setenv("OPENLINEAGE_URL", dead_url())
    log_tutorial(store_dir)
    store = lineage.Store(store_dir)
    assert [r.state for r in store.runs()] == ["finished"] * 5
    assert [kind for _, kind in kept(store_dir)] == ["START", "COMPLETE"] * 5
    store.close()
    assert json.loads(cli("status", "--json", store=store_dir).stdout)["openlineage_kept"] == 10
    assert "10 event(s) kept: lineage export --format openlineage --send" in cli("status", store=store_dir).stdout

    # Still down at --send, configured in openlineage.yml without retries (the default
    # retries five times with backoff, about 10 s).
    monkeypatch.delenv("OPENLINEAGE_URL")
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: http\n  url: {dead_url()}\n  retry:\n    total: 0\n")
    down = cli("export", "--format", "openlineage", "--send", store=store_dir, check=False)
    assert_one_line_error(down, "did not take", "sent 0, 10 still kept")
    assert len(kept(store_dir)) == 10

    config.unlink()
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    sent = cli("export", "--format", "openlineage", "--send", "--json", store=store_dir)
    assert json.loads(sent.stdout) == {"sent": 10, "kept": 0}
    export(lineage.Store(store_dir), tmp_path / "events.ndjson")
    assert receiver.events == read_events(tmp_path / "events.ndjson")
    again = cli("export", "--format", "openlineage", "--send", store=store_dir)
    assert again.stdout.strip() == "sent 0 kept event(s); 0 still kept"
    assert len(receiver.events) == 10 and kept(store_dir) == []
    assert json.loads(cli("status", "--json", store=store_dir).stdout)["openlineage_kept"] == 0


def test_a_slow_receiver_does_not_hold_a_run_and_nothing_is_lost(monkeypatch, store_dir, tmp_path):
    slow = Receiver(delay_s=5 * live.LIVE_TIMEOUT_S)
    try:
        monkeypatch.setenv("OPENLINEAGE_URL", slow.url)
        with lineage.init(project="p", job_type="train", dir=store_dir) as run:
            artifact = lineage.Artifact("model", type="model")
            with artifact.new_file("w.bin", mode="wb") as f:
                f.write(b"w")
            run.log_artifact(artifact)
        # START timed out (one try); COMPLETE queued behind it without a try.
        assert [kind for _, kind in kept(store_dir)] == ["START", "COMPLETE"]
    finally:
        slow.close()
    fast = Receiver()
    try:
        monkeypatch.setenv("OPENLINEAGE_URL", fast.url)
        assert lineage.openlineage.send_backlog(lineage.Store(store_dir)) == (2, 0)
        assert [e["eventType"] for e in fast.events] == ["START", "COMPLETE"]
        assert fast.events[1]["outputs"][0]["name"] == "model"
    finally:
        fast.close()


@pytest.fixture(params=["folder", "postgres"])
def any_store(request, tmp_path) -> Path | str:
    return backend_store(request, tmp_path)


def test_one_sender_at_a_time_delivers_a_stores_backlog_on_either_backend(monkeypatch, any_store, receiver, tmp_path):
    # On PostgreSQL the lock is the server's (an advisory lock), so it holds across hosts:
    # a second handle has a session of its own, as a process on another host would.
    monkeypatch.setenv("OPENLINEAGE_URL", dead_url())
    with lineage.init(project="p", job_type="j", dir=any_store):
        pass
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    holder = lineage.Store(any_store)
    with holder.task_lock("openlineage-send", "held"):
        if not isinstance(any_store, Path):  # the sender is on another host: its own temp folder
            monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "other-host"))
        sender = lineage.Store(any_store)
        with pytest.raises(lineage.StoreBusyError, match="another 'lineage export --send' is delivering"):
            lineage.openlineage.send_backlog(sender)
        assert receiver.events == [] and len(kept(any_store)) == 2
    assert lineage.openlineage.send_backlog(sender) == (2, 0)
    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]
    holder.close()
    sender.close()


def test_a_send_lock_that_is_a_link_is_never_followed(monkeypatch, store_dir, receiver, tmp_path):
    monkeypatch.setenv("OPENLINEAGE_URL", dead_url())
    with lineage.init(project="p", job_type="j", dir=store_dir):
        pass
    outside = tmp_path / "elsewhere"
    (store_dir / "openlineage-send.lock").symlink_to(outside)  # a handed-over store's trap
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    sent = cli("export", "--format", "openlineage", "--send", store=store_dir, check=False)
    assert_one_line_error(sent, "openlineage-send.lock", "link")
    assert not outside.exists() and len(kept(store_dir)) == 2 and receiver.events == []


def test_send_without_an_endpoint_keeps_the_backlog_and_says_so(monkeypatch, store_dir):
    monkeypatch.setenv("OPENLINEAGE_URL", dead_url())
    with lineage.init(project="p", job_type="j", dir=store_dir):
        pass
    monkeypatch.delenv("OPENLINEAGE_URL")
    done = cli("export", "--format", "openlineage", "--send", store=store_dir, check=False)
    assert_one_line_error(done, "2 OpenLineage event(s) are kept", "OPENLINEAGE_URL")
    assert len(kept(store_dir)) == 2


def test_emission_is_off_by_default_and_then_never_loads_the_client(store_dir, receiver):
    code = (
        "import sys, lineage\n"
        f"with lineage.init(project='p', job_type='j', dir={str(store_dir)!r}):\n"
        "    pass\n"
        "print([m for m in sys.modules if m.startswith('openlineage')])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == "[]"
    assert kept(store_dir) == [] and receiver.events == []


def test_openlineage_yml_configures_emission_and_the_lineage_setting_turns_it_off(
    receiver, monkeypatch, store_dir, tmp_path
):
    (tmp_path / "openlineage.yml").write_text(f"transport:\n  type: http\n  url: {receiver.url}\n")
    with lineage.init(project="p", job_type="j", dir=store_dir):
        pass
    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]
    monkeypatch.setenv(live.SETTING, "off")
    with lineage.init(project="p", job_type="j", dir=store_dir):
        pass
    assert len(receiver.events) == 2 and kept(store_dir) == []


def test_a_crashed_run_gets_its_abort_kept_when_the_store_notices_and_sent_later(receiver, monkeypatch, store_dir):
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    log_tutorial(store_dir)
    crash_a_run(store_dir)  # its process sent START, then died
    assert [e["eventType"] for e in receiver.events[-1:]] == ["START"]
    store = lineage.Store(store_dir)
    crashed = store.runs(state="crashed")
    assert kept(store_dir) == [(crashed[0].id, "ABORT")]
    assert lineage.openlineage.send_backlog(store) == (1, 0)
    abort = receiver.events[-1]
    assert abort["eventType"] == "ABORT" and abort["run"]["runId"] == receiver.events[-2]["run"]["runId"]
    assert [d["name"] for d in abort["inputs"]] == ["mnist-preprocess"]


def test_the_kept_answer_of_configured_follows_every_setting_it_depends_on(monkeypatch, tmp_path):
    # configured() is asked twice a run and its answer kept per process: each change below
    # must still be seen, also when it lands right after an answer was kept.
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    home = tmp_path / "home"
    home.mkdir()

    def settle() -> None:
        time.sleep(live.RACY_NS / 1e9 * 2)  # past the window in which answers are not kept

    settle()
    assert not live.configured() and not live.configured()
    (work / "openlineage.yml").write_text("transport:\n  type: console\n")
    assert live.configured()
    settle()
    assert live.configured() and live.configured()
    monkeypatch.setenv(live.SETTING, "off")
    assert not live.configured()
    monkeypatch.delenv(live.SETTING)
    assert live.configured()
    (work / "openlineage.yml").unlink()
    assert not live.configured()
    settle()
    assert not live.configured()
    (home / ".openlineage").mkdir()
    settle()
    assert not live.configured()
    (home / ".openlineage" / "openlineage.yml").write_text("transport:\n  type: console\n")
    assert live.configured()
    (home / ".openlineage" / "openlineage.yml").unlink()
    assert not live.configured()
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "console")
    assert live.configured()
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert not live.configured()
    other = tmp_path / "other"
    other.mkdir()
    (other / "openlineage.yml").write_text("transport:\n  type: console\n")
    monkeypatch.delenv("OPENLINEAGE_DISABLED")
    monkeypatch.delenv("OPENLINEAGE__TRANSPORT__TYPE")
    settle()
    assert not live.configured()
    monkeypatch.chdir(other)
    assert live.configured()
