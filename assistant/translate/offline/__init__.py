"""The offline translator (English -> segment DSL without a model). See translator.py."""

from .edit import conjoin, negate
from .translator import OFF_TOPIC, REFUSAL, OfflineTranslator

__all__ = ["OfflineTranslator", "OFF_TOPIC", "REFUSAL", "conjoin", "negate"]
