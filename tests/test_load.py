"""A short load run in CI; bench/load.py runs the long one (10,000 questions, 500 users)."""

from __future__ import annotations

from pathlib import Path

from .load import TOKEN, run_load
from .processes import assert_clean_output


def test_bursts_of_questions_are_each_answered_once_and_leave_nothing_behind(
    tmp_path: Path,
) -> None:
    report = run_load(tmp_path, questions=600, users=100, burst=100, pause_s=0.3)
    assert report.missing == 0 and report.duplicates == 0
    assert report.answered_once == 600
    assert report.without_answer == 0  # answers, not apologies
    assert report.after.tasks <= report.before.tasks
    assert report.after.threads <= report.before.threads
    assert_clean_output(report.output, TOKEN)
