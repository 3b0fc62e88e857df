"""The offline translator (English -> segment DSL without a model). See translator.py."""

from .translator import REFUSAL, OfflineTranslator

__all__ = ["OfflineTranslator", "REFUSAL"]
