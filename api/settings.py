"""Server settings: arguments win over the environment, the environment over safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_BODY = 1_000_000  # bytes
# Requests one worker holds at once before it answers 503 + Retry-After instead of queueing without bound:
# at 1-3 ms a request, 500 queued is about a second of waiting, past which a client does better to retry.
DEFAULT_MAX_INFLIGHT = 500


@dataclass
class Settings:
    db: str | None = None                 # DuckDB file or postgresql:// URL (SEGMENT_DB); None: the demo store
    store: str | Path | None = None       # SQLite file (SEGMENT_STORE); None: segments.db in the cache folder
    catalog: str | Path | None = None     # catalog YAML (SEGMENT_CATALOG); None: the demo catalog
    api_key: str | None = None            # SEGMENT_API_KEY: required on every route but /health and /
    cors_origins: list[str] = field(default_factory=list)  # SEGMENT_CORS_ORIGINS, comma-separated
    max_body: int = DEFAULT_MAX_BODY      # SEGMENT_MAX_BODY: larger request bodies get a 413
    chat_ttl_s: float | None = None       # SEGMENT_CHAT_TTL: idle chats expire (default 7 days)
    max_inflight: int = DEFAULT_MAX_INFLIGHT  # SEGMENT_MAX_INFLIGHT: per worker; more at once get a 503
    compile_cache: int = 2048             # SEGMENT_COMPILE_CACHE: compiled results remembered per worker (0: none)

    @classmethod
    def from_env(cls, **given) -> "Settings":
        env = os.environ
        origins = [o.strip() for o in (env.get("SEGMENT_CORS_ORIGINS") or "").split(",") if o.strip()]
        values = dict(db=env.get("SEGMENT_DB") or None, store=env.get("SEGMENT_STORE") or None,
                      catalog=env.get("SEGMENT_CATALOG") or None,
                      api_key=env.get("SEGMENT_API_KEY") or None, cors_origins=origins,
                      max_body=int(env.get("SEGMENT_MAX_BODY") or DEFAULT_MAX_BODY),
                      chat_ttl_s=float(env["SEGMENT_CHAT_TTL"]) if env.get("SEGMENT_CHAT_TTL") else None,
                      max_inflight=int(env.get("SEGMENT_MAX_INFLIGHT") or DEFAULT_MAX_INFLIGHT),
                      compile_cache=int(env.get("SEGMENT_COMPILE_CACHE") or 2048))
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)
