"""Fixtures shared by the test folders."""

from __future__ import annotations

import pytest

from judgeaudit.datasets import sample_path
from tests.mock_judge_server import JudgeBehaviour, chosen_texts_of


@pytest.fixture()
def behaviour() -> JudgeBehaviour:
    """The mock judge that knows the sample's better and worse responses; a test plants the rest."""
    path = str(sample_path())
    return JudgeBehaviour(chosen_texts=chosen_texts_of(path), rejected_texts=chosen_texts_of(path, "rejected"))
