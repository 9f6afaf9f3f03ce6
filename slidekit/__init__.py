"""Slide builder used by build_slides.py: markdown slides -> an offline HTML deck.

``build(src, out)`` is the whole pipeline; see slidekit/README.md for the
slide syntax and the seams a server or a plugin uses.
"""

from .build import BuildCache, BuildResult, build
from .errors import BuildError, BuildFailed, SlideError
from .site import inject

__all__ = ["BuildCache", "BuildError", "BuildFailed", "BuildResult", "SlideError", "build", "inject"]
