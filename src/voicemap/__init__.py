"""voicemap: evidence-backed customer journey maps from what customers said."""

__version__ = "0.1.0"
