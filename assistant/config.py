"""Model configuration: which OpenAI-compatible endpoint and model to ask, and how.

Read from a YAML file (`--config PATH` or SEGMENT_CONFIG) and the environment; environment variables
win over the file. No model configured -> None, and the caller uses the offline translator.

Environment: OPENAI_API_KEY, OPENAI_BASE_URL, SEGMENT_MODEL (model name), SEGMENT_MODE
(grammar|json|text|llguidance), SEGMENT_MAX_TRIES (repair loop, default 3), SEGMENT_TIMEOUT (seconds
per request, default 60), SEGMENT_MAX_RETRIES (HTTP retries on timeouts/429/5xx, default 2),
SEGMENT_PROMPT (prompt version, default v1), SEGMENT_CONFIG (path of the YAML file).

The YAML file holds the same settings under a `model:` key:

    model:
      name: gpt-5-mini
      base_url: https://api.openai.com/v1   # optional
      api_key: sk-...                       # optional; prefer OPENAI_API_KEY
      mode: grammar
      max_tries: 3
      timeout: 60
      max_retries: 2
      prompt: v1
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grammar.errors import read_yaml

Mode = Literal["grammar", "json", "text", "llguidance"]
MODES: tuple[str, ...] = ("grammar", "json", "text", "llguidance")
# OpenAI's hosted GPT-5 models take Lark grammars in custom tools; that is the default there.
DEFAULT_OPENAI_MODEL = "gpt-5-mini"


class ConfigError(Exception):
    pass


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str = Field(alias="name")
    base_url: str | None = None      # None: the openai package's default (api.openai.com)
    api_key: str | None = None
    mode: Mode = "text"
    max_tries: int = Field(default=3, ge=1, le=10)
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    prompt: str = "v1"


_ENV = {  # environment variable -> ModelConfig field
    "SEGMENT_MODEL": "model",
    "OPENAI_BASE_URL": "base_url",
    "OPENAI_API_KEY": "api_key",
    "SEGMENT_MODE": "mode",
    "SEGMENT_MAX_TRIES": "max_tries",
    "SEGMENT_TIMEOUT": "timeout",
    "SEGMENT_MAX_RETRIES": "max_retries",
    "SEGMENT_PROMPT": "prompt",
}
_FIELD_SOURCE = {field: env for env, field in _ENV.items()}


def _read_file(path: Path) -> dict:
    data = read_yaml(path, ConfigError, "config")
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("model", {}), dict):
        raise ConfigError(f"{path}: expected a mapping with a 'model:' section (name, base_url, mode, ...)")
    unknown = set(data) - {"model"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys: {', '.join(sorted(unknown))} (expected 'model')")
    section = dict(data.get("model") or {})
    if "name" in section:
        section["model"] = section.pop("name")
    return section


def load_model_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> ModelConfig | None:
    """The configured model, or None when none is (no model name, base URL or API key anywhere)."""
    env = os.environ if env is None else env
    path = path or env.get("SEGMENT_CONFIG") or None
    values: dict = _read_file(Path(path)) if path else {}
    sources = {key: f"{path}: model.{'name' if key == 'model' else key}" for key in values}
    for var, field in _ENV.items():
        if env.get(var):
            values[field] = env[var]
            sources[field] = var
    if not any(values.get(k) for k in ("model", "base_url", "api_key")):
        return None
    if not values.get("model"):
        if values.get("base_url"):
            raise ConfigError("OPENAI_BASE_URL is set but no model name: set SEGMENT_MODEL (the model the "
                              "server at that URL serves)")
        values["model"] = DEFAULT_OPENAI_MODEL
    if "mode" not in values and not values.get("base_url"):
        values["mode"] = "grammar"
    try:
        return ModelConfig.model_validate(values)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            where = sources.get(field, field)
            problems.append(f"{where}: {e['msg']} (got {e.get('input')!r})")
        raise ConfigError("bad model configuration: " + "; ".join(problems)) from None
