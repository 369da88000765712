"""Loading and exporting versions of the questionnaire instrument.

An instrument version is immutable once loaded: rounds and answers point at its
items, so changing one in place would silently change what old answers meant.

``checks`` holds what a document must be, ``loading`` stores it (and corrects texts no
answer depends on), ``export`` writes a loaded version out again.
"""

from readiness.services.instrument.export import export_instrument, meaning
from readiness.services.instrument.loading import LoadResult, load_instrument

__all__ = ["LoadResult", "export_instrument", "load_instrument", "meaning"]
