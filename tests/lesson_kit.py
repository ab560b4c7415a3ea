"""What the lesson AppTests share: open a lesson, read a metric, find a figure by title."""

PAGE = "lessons/{}.py"


def open_lesson(app_test, stem):
    at = app_test.switch_page(PAGE.format(stem)).run()  # straight to the lesson
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, label):
    return next(m.value for m in at.metric if m.label.startswith(label))


def by_title(figs, start):
    return next(f for f in figs if f["layout"].get("title", {}).get("text", "").startswith(start))
