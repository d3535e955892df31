"""The boto3 client of S3 blob roots: URLs, settings, and errors said in one line.

boto3 is imported here only when an ``s3://`` root is used (``import lineage`` stays
light); without it the error names ``pip install 'lineage[team]'``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from .errors import InvalidArgumentError, LineageError, NotFoundError, ObjectStoreError

__all__ = ["ObjectStoreError", "code_of", "make_client", "parse_s3_url", "s3_errors", "status_of"]

WORKERS = 16  # concurrent requests: S3 latency, not bandwidth, bounds small-file uploads
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PART_RE = re.compile(r"[A-Za-z0-9_.=+-]+")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix without slashes at either end), or raise.

    The prefix becomes part of every key: its parts are plain names (no ``..``, no empty part).
    """
    if not isinstance(url, str) or not url.startswith("s3://"):
        raise InvalidArgumentError(f"{str(url)[:200]!r} is no s3:// URL: use s3://bucket/prefix")
    bucket, _, prefix = url[5:].partition("/")
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise InvalidArgumentError(
            f"{bucket[:100]!r} in {url[:200]!r} is no S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"
        )
    prefix = prefix.strip("/")
    if prefix:
        for part in prefix.split("/"):
            if part in ("", ".", "..") or not _PART_RE.fullmatch(part):
                raise InvalidArgumentError(
                    f"the prefix of {url[:200]!r} has a part {part[:100]!r}: use plain names "
                    "([A-Za-z0-9_.=+-]) separated by single '/'"
                )
    return bucket, prefix


def make_client() -> Any:
    """A boto3 S3 client configured the usual ways (credentials, region, endpoint), or a one-line error."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise LineageError("an s3:// blob root needs boto3: pip install 'lineage[team]'") from None
    config = Config(
        max_pool_connections=WORKERS + 4,
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
        # Checksums only where S3 requires them (we send SHA-256 ourselves): the default
        # aws-chunked trailers of botocore >= 1.36 corrupt objects on some S3-compatible
        # servers (boto/boto3#4435).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", config=config)


def status_of(exc: Any) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def code_of(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def s3_errors(root: str) -> Iterator[None]:
    """Say what went wrong with the object store in one line (a ``LineageError``), not a botocore trace."""
    try:
        from botocore import exceptions as bx
    except ImportError:
        raise LineageError("an s3:// blob root needs boto3: pip install 'lineage[team]'") from None
    try:
        yield
    except bx.NoCredentialsError:
        raise ObjectStoreError(
            f"no AWS credentials for {root}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, or run where an instance role applies"
        ) from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError) as exc:
        raise ObjectStoreError(
            f"cannot reach the object store of {root} ({exc}): check AWS_ENDPOINT_URL_S3 and the network"
        ) from None
    except bx.ClientError as exc:
        code, status = code_of(exc), status_of(exc)
        if code == "NoSuchBucket":
            raise NotFoundError(f"the bucket of {root} does not exist: create it, or fix the blob root") from None
        if code in ("AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch") or status == 403:
            raise ObjectStoreError(
                f"access to {root} was denied ({code}): check the credentials and the bucket's policy"
            ) from None
        raise ObjectStoreError(f"the object store refused a request on {root}: {code or status}: {exc}") from None
