"""Query integers: ASCII digits only, a leading minus only where negatives make sense, on every route."""

import pytest

from tb_suite.core.plugin import parse_int
from tests.core import damage

# Python's int() takes the first eight (spaces, plus sign, underscore, fullwidth, Arabic-Indic, Devanagari digits).
NOT_INTEGERS = [" 1", "1 ", "+1", "1_0", "\uff11", "\u0661", "\u096a", "\t1\n", "0x1", "1.0", "1e2", "", "-", "--1"]


def test_python_int_takes_what_a_query_must_not():
    assert [int(raw) for raw in NOT_INTEGERS[:8]] == [1, 1, 1, 10, 1, 1, 4, 1]


@pytest.mark.parametrize("raw", NOT_INTEGERS)
def test_parse_int_refuses_what_is_not_ascii_digits(raw):
    with pytest.raises(ValueError):
        parse_int(raw, negative=True)


def test_parse_int_takes_ascii_digits_and_a_minus_where_allowed():
    assert (
        parse_int("0") == 0
        and parse_int("0042") == 42
        and parse_int("123456789012345678901234") == 123456789012345678901234
    )
    assert parse_int("-7", negative=True) == -7
    for raw in ("-7", "-0"):
        with pytest.raises(ValueError):
            parse_int(raw)
    with pytest.raises(ValueError):
        parse_int("9" * 41)


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    root = tmp_path_factory.mktemp("queries")
    damage.log_base_records(root / "run")
    return damage.Routes(root)


# (plugin, route, fixed parameters, the integer parameter under test)
INTEGER_PARAMETERS = [
    ("tbs_predictions", "record", {"tag": "labels"}, "step"),
    ("tbs_predictions", "examples", {"tag": "labels", "step": "0", "pred": "0"}, "true"),
    ("tbs_predictions", "examples", {"tag": "labels", "step": "0", "true": "0"}, "pred"),
    ("tbs_attention", "example", {"tag": "attn_large", "step": "0"}, "example"),
    ("tbs_attention", "map", {"tag": "attn_large", "step": "0", "head": "0"}, "layer"),
    ("tbs_attention", "map", {"tag": "attn_large", "step": "0", "layer": "0"}, "head"),
    ("tbs_attention", "map", {"tag": "attn_large", "step": "0", "layer": "0", "head": "0"}, "size"),
    ("tbs_attention", "map", {"tag": "attn_large", "step": "0", "layer": "0", "head": "0"}, "q1"),
    ("tbs_attention", "grid", {"tag": "attn_large", "step": "0"}, "size"),
    ("tbs_tokens", "history", {"tag": "tok_large", "pos": "1"}, "seq"),
    ("tbs_tokens", "history", {"tag": "tok_large", "seq": "1"}, "pos"),
    ("tbs_landscape", "record", {"tag": "line"}, "step"),
]


@pytest.mark.parametrize("plugin,route,fixed,name", INTEGER_PARAMETERS)
def test_every_integer_parameter_takes_only_ascii_digits(routes, plugin, route, fixed, name):
    valid = "0" if name in ("step", "example", "true", "pred", "layer", "head") else "1"
    status, body = routes.get(plugin, route, run="run", **fixed, **{name: valid})
    assert status == 200, body[:300]
    for raw in [*NOT_INTEGERS, "-1", "-0"]:
        status, body = routes.get(plugin, route, run="run", **fixed, **{name: raw})
        assert status == 400 and name in body.decode(), (raw, status, body[:300])
