"""The Learn section: one Streamlit page file per lesson.

``LESSON_PAGES`` lists ``(file name inside this folder, title)`` in teaching order; the entry
script turns it into the "Learn" section of the navigation.
"""

LESSON_PAGES: list[tuple[str, str]] = []
