"""The figure functions under their first name: everything now lives in :mod:`tifa.figures` (kept for existing code)."""

from tifa.figures import *  # noqa: F401,F403
from tifa.figures import __all__  # noqa: F401
from tifa.figures.style import (
    font_manager,  # noqa: F401  (tests look fonts up through it)
)
