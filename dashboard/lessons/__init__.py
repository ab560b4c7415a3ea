"""The Learn section: one Streamlit page file per lesson.

``LESSON_PAGES`` lists ``(file name inside this folder, title)`` in teaching order; the entry
script turns it into the "Learn" section of the navigation. Shared helpers live in ``kit.py``
(header, Explore link, cached computations); the figures come from :mod:`dashboard.plots`
(``teaching``, ``gallery``).
"""

from pathlib import Path

_ALL: list[tuple[str, str]] = [
    ("l01_what_is_nmf.py", "1 · What NMF is"),
    ("l02_parts.py", "2 · Parts, not wholes"),
    ("l03_multiplicative_updates.py", "3 · Multiplicative updates"),
    ("l04_gradient_descent.py", "4 · Gradient descent & projection"),
    ("l05_losses.py", "5 · Frobenius vs KL"),
    ("l06_soft_clustering.py", "6 · Soft clustering"),
    ("l07_ica_pca.py", "7 · NMF vs ICA and PCA"),
    ("l08_non_uniqueness.py", "8 · Non-uniqueness"),
    ("l09_choosing_rank.py", "9 · Choosing r"),
    ("l10_initialization.py", "10 · Initialization"),
    ("l11_regularization.py", "11 · Regularization"),
    ("l12_applications.py", "12 · Where NMF is used"),
    ("l13_hear_the_parts.py", "13 · Hear the parts"),
]

# Only pages whose file exists: the navigation never links to a missing page.
LESSON_PAGES: list[tuple[str, str]] = [p for p in _ALL if (Path(__file__).parent / p[0]).exists()]
