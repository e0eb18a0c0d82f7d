"""Evidence recording service for administrative law enforcement (执法全过程记录)."""

__version__ = "0.1.0"
