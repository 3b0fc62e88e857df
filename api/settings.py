"""Server settings: arguments win over the environment, the environment over safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_BODY = 1_000_000  # bytes


@dataclass
class Settings:
    db: str | None = None                 # DuckDB file or postgresql:// URL (SEGMENT_DB); None: the demo store
    store: str | Path | None = None       # SQLite file (SEGMENT_STORE); None: segments.db in the cache folder
    catalog: str | Path | None = None     # catalog YAML; None: the demo catalog
    api_key: str | None = None            # SEGMENT_API_KEY: required on every route but /health and /
    cors_origins: list[str] = field(default_factory=list)  # SEGMENT_CORS_ORIGINS, comma-separated
    max_body: int = DEFAULT_MAX_BODY      # SEGMENT_MAX_BODY: larger request bodies get a 413
    chat_ttl_s: float | None = None       # SEGMENT_CHAT_TTL: idle chats expire (default 7 days)

    @classmethod
    def from_env(cls, **given) -> "Settings":
        env = os.environ
        origins = [o.strip() for o in (env.get("SEGMENT_CORS_ORIGINS") or "").split(",") if o.strip()]
        values = dict(db=env.get("SEGMENT_DB") or None, store=env.get("SEGMENT_STORE") or None,
                      api_key=env.get("SEGMENT_API_KEY") or None, cors_origins=origins,
                      max_body=int(env.get("SEGMENT_MAX_BODY") or DEFAULT_MAX_BODY),
                      chat_ttl_s=float(env["SEGMENT_CHAT_TTL"]) if env.get("SEGMENT_CHAT_TTL") else None)
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)
