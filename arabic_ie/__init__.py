"""arabic-ie: joint Arabic named-entity recognition and event-argument extraction."""
from arabic_ie.data.records import Event, Record, Span

__version__ = "0.1.0"
__all__ = ["Event", "Record", "Span", "__version__"]
