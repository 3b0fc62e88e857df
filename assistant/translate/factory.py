"""Which translator answers: the offline one by default, a model (any OpenAI-compatible endpoint) when one
is configured, or a GGUF model in-process. One factory for the CLI, the API and the evals."""

from __future__ import annotations

from assistant.translate.contract import Translator


def make_translator(provider: str | None = None, model: str | None = None, prompt: str | None = None,
                    config_path: str | None = None) -> Translator:
    """offline, openai (any OpenAI-compatible endpoint) or local (a GGUF model in-process). By default the
    model translator when a model is configured, else the offline one. Raises ValueError with the reason."""
    from assistant.config import ConfigError, load_model_config
    from assistant.translate.model import ModelError

    if provider not in (None, "offline", "openai", "local"):
        raise ValueError(f"unknown provider {provider!r}; choose offline, openai or local")
    if provider == "local":
        from assistant.translate.local_model import LocalModelTranslator

        try:
            return LocalModelTranslator(model, prompt=prompt or "v2")
        except ModelError as err:
            raise ValueError(str(err)) from None
    try:
        config = None if provider == "offline" else load_model_config(config_path)
    except ConfigError as err:
        raise ValueError(str(err)) from None
    if provider == "openai" and config is None and model:
        from assistant.config import ModelConfig

        config = ModelConfig(model=model)  # the openai package's own endpoint and key settings
    if provider == "openai" and config is None:
        raise ValueError("no model is configured: set SEGMENT_MODEL and OPENAI_BASE_URL / OPENAI_API_KEY, "
                         "or give --config FILE (or use --provider offline)")
    if config is None:
        from assistant.translate.offline import OfflineTranslator

        return OfflineTranslator()
    from assistant.translate.model import ModelTranslator

    updates = {k: v for k, v in (("model", model), ("prompt", prompt)) if v}
    return ModelTranslator(config.model_copy(update=updates) if updates else config)
