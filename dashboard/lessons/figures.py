"""The lessons' figure builders live in :mod:`dashboard.plots.teaching`; this name stays for
lesson pages that import ``dashboard.lessons.figures``."""
from dashboard.plots.teaching import *  # noqa: F401,F403
from dashboard.plots.teaching import __all__  # noqa: F401
