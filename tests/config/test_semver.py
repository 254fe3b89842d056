"""npm-style versions and ranges, checked against the cases npm's documentation gives."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from attini_sdk.config.semver import Range, Version, satisfies
from attini_sdk.errors import AttiniError, ConfigError


def test_versions_order_by_semver_precedence():
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert sorted(ordered, key=Version.parse) == ordered
    assert Version.parse("1.0.0+build.1") == Version.parse("1.0.0+other")


@pytest.mark.parametrize("text", ["1", "1.2", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "v1.2.3", "1.2.3.4", "", "x"])
def test_invalid_versions_are_config_errors(text):
    with pytest.raises(ConfigError, match="semantic version"):
        Version.parse(text)


@pytest.mark.parametrize("range_, desugared", [
    ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"),
    ("1.2 - 2.3.4", ">=1.2.0 <=2.3.4"),
    ("1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"),
    ("1.2.3 - 2", ">=1.2.3 <3.0.0-0"),
    ("*", "*"),
    ("", "*"),
    ("1.x", ">=1.0.0 <2.0.0-0"),
    ("1.2.x", ">=1.2.0 <1.3.0-0"),
    ("1", ">=1.0.0 <2.0.0-0"),
    ("~1.2.3", ">=1.2.3 <1.3.0-0"),
    ("~1.2", ">=1.2.0 <1.3.0-0"),
    ("~1", ">=1.0.0 <2.0.0-0"),
    ("~0.2.3", ">=0.2.3 <0.3.0-0"),
    ("~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"),
    ("~>1.2", ">=1.2.0 <1.3.0-0"),
    ("^1.2.3", ">=1.2.3 <2.0.0-0"),
    ("^0.2.3", ">=0.2.3 <0.3.0-0"),
    ("^0.0.3", ">=0.0.3 <0.0.4-0"),
    ("^1.2.3-beta.2", ">=1.2.3-beta.2 <2.0.0-0"),
    ("^1.2.x", ">=1.2.0 <2.0.0-0"),
    ("^0.0.x", ">=0.0.0 <0.1.0-0"),
    ("^0.0", ">=0.0.0 <0.1.0-0"),
    ("^1.x", ">=1.0.0 <2.0.0-0"),
    ("^0.x", ">=0.0.0 <1.0.0-0"),
    (">1.2", ">=1.3.0"),
    (">1", ">=2.0.0"),
    ("<1.2", "<1.2.0-0"),
    ("<=1.2", "<1.3.0-0"),
    (">= 1.2.3 < 2", ">=1.2.3 <2.0.0-0"),
    ("=1.2.3", "1.2.3"),
    ("v1.2.3", "1.2.3"),
    (">=1 <3 || 4.x", ">=1.0.0 <3.0.0-0 || >=4.0.0 <5.0.0-0"),
])
def test_ranges_desugar_like_npm(range_, desugared):
    assert str(Range.parse(range_)) == desugared


@pytest.mark.parametrize("version, range_, expected", [
    ("1.0.0", ">=1.0.0", True),
    ("0.9.9", ">=1.0.0", False),
    ("1.9.9", "^1.2.3", True),
    ("2.0.0", "^1.2.3", False),
    ("2.0.0-rc.1", "^1.2.3", False),
    ("1.2.3-beta.4", "^1.2.3-beta.2", True),
    ("1.2.4-beta.4", "^1.2.3-beta.2", False),  # prerelease of another triple
    ("3.4.5-alpha.9", ">1.2.3-alpha.3", False),
    ("1.2.3-alpha.7", ">1.2.3-alpha.3", True),
    ("2.3.4", "1.2.3 - 2.3.4", True),
    ("2.3.5", "1.2.3 - 2.3.4", False),
    ("4.1.0", ">=1 <3 || 4.x", True),
    ("3.0.0", ">=1 <3 || 4.x", False),
    ("0.0.1", "*", True),
    ("1.0.0-rc.1", "*", False),
    ("9.9.9", ">*", False),
    ("1.2.3+build.5", "1.2.3", True),
])
def test_satisfies(version, range_, expected):
    assert satisfies(version, range_) is expected


@pytest.mark.parametrize("text", [">=1.0.0 <", "1.2.3 -", "^a.b.c", ">=01.0.0", "1.2.3 - - 2", "1.2.3.4", "~1.2.3.4"])
def test_invalid_ranges_are_config_errors_naming_the_part(text):
    with pytest.raises(ConfigError, match="version range"):
        Range.parse(text)


@given(st.text(max_size=40))
def test_random_text_never_raises_anything_but_attini_errors(text):
    try:
        Range.parse(text).test("1.2.3")
    except AttiniError:
        pass
    try:
        Version.parse(text)
    except AttiniError:
        pass
