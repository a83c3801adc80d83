"""The examples in the runs family's docstrings run and give what they show."""

import doctest

import pytest

from tb_suite.runs import compute, summary


@pytest.mark.parametrize("module", [compute, summary])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
