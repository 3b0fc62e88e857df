"""The offline translator (English -> segment DSL without a model). See translator.py."""

from .translator import OFF_TOPIC, REFUSAL, OfflineTranslator

__all__ = ["OfflineTranslator", "OFF_TOPIC", "REFUSAL"]
