"""Recognizers behind one small interface; ``default_recognizers`` is the shipped pipeline."""

from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule, Recognizer, register, registered, unregister

__all__ = ["PatternRecognizer", "PatternRule", "Recognizer", "register", "registered", "unregister"]
