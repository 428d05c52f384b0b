"""Every Redis key and object-storage key this project writes, in one place."""

from __future__ import annotations

REDIS_PREFIX = "codegen"


def cache_key(request_hash: str) -> str:
    """A cached LLM answer for one canonical request."""
    return f"{REDIS_PREFIX}:llm-cache:{request_hash}"


def cache_lock_key(request_hash: str) -> str:
    """Single-flight lock held while one worker asks the LLM for a request."""
    return f"{REDIS_PREFIX}:llm-lock:{request_hash}"


def cache_stats_key() -> str:
    return f"{REDIS_PREFIX}:llm-cache-stats"


def spend_outbox_key() -> str:
    """Paid calls not yet in the history database (a hash: call id -> settlement), no TTL."""
    return f"{REDIS_PREFIX}:spend-outbox"


def project_prefix(project_id: str) -> str:
    """Every object of one project lives under this prefix."""
    return f"projects/{project_id}/"


def bundle_prefix(project_id: str, node_id: str, bundle_hash: str) -> str:
    """Where one bundle lives: content-addressed, so a redelivered task rewrites the same keys."""
    return f"{project_prefix(project_id)}nodes/{node_id}/bundles/{bundle_hash}"


def bundle_file_key(prefix: str, path: str) -> str:
    return f"{prefix}/files/{path}"


def manifest_key(prefix: str) -> str:
    """Written last: a bundle without a manifest is incomplete and never read."""
    return f"{prefix}/manifest.json"


def bundle_files_prefix(prefix: str) -> str:
    """Every file of a bundle lives under this prefix; nothing is written beside it."""
    return f"{prefix}/files/"


def runtime_verdict_key(digest: str) -> str:
    """A runtime check's verdict on one bundle, its inputs and the platform it ran on."""
    return f"{REDIS_PREFIX}:runtime-verdict:{digest}"
