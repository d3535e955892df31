"""A real S3 HTTP endpoint for the tests: moto's ThreadedMotoServer on 127.0.0.1.

``s3_server`` (session) starts one server on a free port; ``s3_root`` (per test) points
boto3 at it through the usual settings (``AWS_ENDPOINT_URL_S3``, ``AWS_*`` credentials; no
profile of the machine's user is read), makes a fresh bucket and returns its
``s3://bucket/prefix`` root. Subprocesses inherit the settings.
"""

from __future__ import annotations

import itertools

import pytest

_buckets = itertools.count()


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a moto S3 server running in this process until the session ends."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch, tmp_path):
    """boto3 settings naming the test server (and nothing of the user's own AWS set-up)."""
    settings = {
        "AWS_ENDPOINT_URL_S3": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def s3_client(s3_env):
    """A plain boto3 client on the test server (to look at or damage objects behind lineage's back)."""
    import boto3

    return boto3.client("s3")


@pytest.fixture
def s3_root(s3_client) -> str:
    """``s3://<new bucket>/team/blobs``: an empty bucket for this test."""
    bucket = f"lineage-test-{next(_buckets)}"
    s3_client.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/team/blobs"
