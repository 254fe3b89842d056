"""Semantic versions and npm-style version ranges (our own implementation of the npm rules).

A distribution's ``version`` is a strict semantic version; a dependency's ``version`` is a
*range* written the way npm writes them::

    >>> Version.parse("1.4.0-rc.1") < Version.parse("1.4.0")
    True
    >>> satisfies("1.4.2", "^1.2.0 || >=3")
    True
    >>> satisfies("2.0.0-beta.1", ">=1.0.0")      # prereleases only match when a comparator asks
    False

Supported range syntax: comparators (``<``, ``<=``, ``>``, ``>=``, ``=``), partial versions
and x-ranges (``1``, ``1.x``, ``1.2.*``, ``*``, empty), tilde (``~1.2.3``, ``~>1.2``), caret
(``^0.2.3``), hyphen ranges (``1.2 - 2.3.4``), intersections (space separated) and unions (``||``).
"""

from __future__ import annotations

import functools
import re

import attrs

from attini_sdk.config.limits import MAX_VERSION_LENGTH
from attini_sdk.errors import ConfigError

__all__ = ["Version", "Range", "parse_version", "parse_range", "satisfies"]

_NUM = r"0|[1-9]\d*"
_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_VERSION_RE = re.compile(
    rf"^(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# A possibly partial version inside a range: 1, 1.2, 1.x, 1.2.*, 1.2.3-rc.1
_XR = r"(?:0|[1-9]\d*|[xX*])"
_PARTIAL_RE = re.compile(
    rf"^v?=?(?P<major>{_XR})(?:\.(?P<minor>{_XR})(?:\.(?P<patch>{_XR})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?:[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?)?)?$"
)
_SEMVER_HINT = "use MAJOR.MINOR.PATCH with an optional -prerelease and +build, e.g. 1.4.0 or 2.0.0-rc.1"
_RANGE_HINT = "write an npm-style range, e.g. '>=1.0.0', '^1.2.0', '~1.2', '1.x', '1.0.0 - 2.0.0', '>=1 <3 || 4.x'"


@functools.total_ordering
@attrs.frozen(eq=False)
class Version:
    """A semantic version (https://semver.org): ordered by precedence, build metadata ignored.

    >>> v = Version.parse("1.2.3-beta.2+exp.sha")
    >>> (v.major, v.minor, v.patch, v.prerelease, v.build)
    (1, 2, 3, ('beta', 2), 'exp.sha')
    >>> str(v)
    '1.2.3-beta.2+exp.sha'
    """

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse a strict semantic version; raises :class:`ConfigError` if ``text`` is not one.

        >>> Version.parse("0.1.0").minor
        1
        """
        if not isinstance(text, str):
            raise ConfigError(f"a version must be a string, got {type(text).__name__} {text!r}",
                              hint=_SEMVER_HINT)
        if len(text) > MAX_VERSION_LENGTH:
            raise ConfigError(f"the version is {len(text)} characters long, over the limit of {MAX_VERSION_LENGTH}",
                              hint=_SEMVER_HINT)
        m = _VERSION_RE.match(text.strip())
        if not m:
            raise ConfigError(f"'{text}' is not a semantic version", hint=_SEMVER_HINT)
        return cls(int(m["major"]), int(m["minor"]), int(m["patch"]),
                   _prerelease(m["pre"]), m["build"] or "")

    def _key(self) -> tuple:
        # A version without prerelease sorts after every prerelease of the same triple;
        # numeric identifiers sort before alphanumeric ones (semver §11).
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    @property
    def triple(self) -> tuple[int, int, int]:
        """``(major, minor, patch)``."""
        return (self.major, self.minor, self.patch)


def _prerelease(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def parse_version(text: str | Version) -> Version:
    """A :class:`Version` from a string (or the version itself).

    >>> parse_version("2.0.0") > parse_version("2.0.0-rc.1")
    True
    """
    return text if isinstance(text, Version) else Version.parse(text)


@attrs.frozen
class Comparator:
    """One comparison against a version, e.g. ``>=1.2.0``.

    >>> Comparator(">=", Version.parse("1.2.0")).test(Version.parse("1.3.0"))
    True
    """

    op: str
    version: Version

    def test(self, v: Version) -> bool:
        """Whether ``v`` satisfies this comparison."""
        if self.op == "=":
            return v == self.version
        if self.op == "<":
            return v < self.version
        if self.op == "<=":
            return v <= self.version
        if self.op == ">":
            return v > self.version
        return v >= self.version

    def __str__(self) -> str:
        return f"{'' if self.op == '=' else self.op}{self.version}"


_ANY: tuple[Comparator, ...] = ()  # an empty comparator set matches every release
_NONE = (Comparator("<", Version(0, 0, 0, (0,))),)  # matches nothing


@attrs.frozen
class Range:
    """An npm-style version range: a union (``||``) of comparator sets (all must hold).

    >>> r = Range.parse("~1.2.3")
    >>> str(r)
    '>=1.2.3 <1.3.0-0'
    >>> r.test("1.2.9"), r.test("1.3.0")
    (True, False)
    """

    text: str
    sets: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Range:
        """Parse a range; raises :class:`ConfigError` naming the bad part.

        >>> Range.parse(">=1.0.0").test("1.0.0")
        True
        """
        if not isinstance(text, str):
            raise ConfigError(f"a version range must be a string, got {type(text).__name__} {text!r}",
                              hint=_RANGE_HINT)
        if len(text) > MAX_VERSION_LENGTH:
            raise ConfigError(f"the version range is {len(text)} characters long, over the limit of "
                              f"{MAX_VERSION_LENGTH}", hint=_RANGE_HINT)
        sets = tuple(_parse_set(part.strip(), text) for part in text.split("||"))
        return cls(text=text, sets=sets)

    def test(self, version: str | Version) -> bool:
        """Whether ``version`` is in the range, with npm's prerelease rule: a prerelease such as
        ``1.2.3-rc.1`` only matches a set that has a comparator with a prerelease on 1.2.3.

        >>> Range.parse(">=1.2.3-alpha <2").test("1.2.3-beta"), Range.parse(">=1.0.0").test("1.5.0-rc.1")
        (True, False)
        """
        v = parse_version(version)
        return any(_set_matches(s, v) for s in self.sets)

    def __contains__(self, version: str | Version) -> bool:
        return self.test(version)

    def __str__(self) -> str:
        return " || ".join(" ".join(str(c) for c in s) if s else "*" for s in self.sets)


def _set_matches(comparators: tuple[Comparator, ...], v: Version) -> bool:
    if not all(c.test(v) for c in comparators):
        return False
    if not v.prerelease:
        return True
    return any(c.version.prerelease and c.version.triple == v.triple for c in comparators)


def parse_range(text: str | Range) -> Range:
    """A :class:`Range` from a string (or the range itself).

    >>> parse_range("1.x").test("1.9.0")
    True
    """
    return text if isinstance(text, Range) else Range.parse(text)


def satisfies(version: str | Version, range_: str | Range) -> bool:
    """Whether ``version`` satisfies the npm-style ``range_``.

    >>> satisfies("1.0.0", ">=1.0.0"), satisfies("0.9.9", ">=1.0.0")
    (True, False)
    """
    return parse_range(range_).test(version)


# --- parsing a comparator set ------------------------------------------------------------

_HYPHEN_RE = re.compile(r"^(\S+)\s+-\s+(\S+)$")
_OP_RE = re.compile(r"(~>|~|\^|>=|<=|>|<|=)\s+")


def _parse_set(text: str, whole: str) -> tuple[Comparator, ...]:
    m = _HYPHEN_RE.match(text)
    if m:
        return _hyphen(_partial(m[1], whole), _partial(m[2], whole))
    text = _OP_RE.sub(lambda mo: mo[1], text)  # npm allows ">= 1.2.3"
    comparators: list[Comparator] = []
    for token in text.split():
        comparators.extend(_token(token, whole))
    if any(c is _NONE[0] for c in comparators):
        return _NONE
    return tuple(comparators)


@attrs.frozen
class _Partial:
    major: int | None
    minor: int | None
    patch: int | None
    pre: tuple[int | str, ...]

    def floor(self) -> Version:
        return Version(self.major or 0, self.minor or 0, self.patch or 0, self.pre)


def _partial(text: str, whole: str) -> _Partial:
    m = _PARTIAL_RE.match(text)
    if not m:
        raise ConfigError(f"'{text}' in version range '{whole}' is not a version", hint=_RANGE_HINT)

    def num(group: str) -> int | None:
        value = m[group]
        return None if value is None or value in "xX*" else int(value)

    major, minor, patch = num("major"), num("minor"), num("patch")
    if major is None:
        minor = patch = None
    elif minor is None:
        patch = None
    pre = _prerelease(m["pre"]) if patch is not None else ()
    return _Partial(major, minor, patch, pre)


def _token(token: str, whole: str) -> tuple[Comparator, ...]:
    m = re.match(r"^(~>|~|\^|>=|<=|>|<|=)?(.*)$", token)
    op, rest = m[1] or "", m[2]
    if rest in ("", "*", "x", "X") and op in ("", "=", ">=", "~", "~>", "^"):
        return _ANY
    p = _partial(rest, whole)
    if op in ("~", "~>"):
        return _tilde(p)
    if op == "^":
        return _caret(p)
    if op in ("", "="):
        return _xrange(p)
    return _compare(op, p)


def _upper(v: tuple[int, int, int]) -> Comparator:
    return Comparator("<", Version(*v, (0,)))


def _xrange(p: _Partial) -> tuple[Comparator, ...]:
    if p.major is None:
        return _ANY
    if p.minor is None:
        return (Comparator(">=", p.floor()), _upper((p.major + 1, 0, 0)))
    if p.patch is None:
        return (Comparator(">=", p.floor()), _upper((p.major, p.minor + 1, 0)))
    return (Comparator("=", p.floor()),)


def _tilde(p: _Partial) -> tuple[Comparator, ...]:
    if p.major is None:
        return _ANY
    if p.minor is None:
        return (Comparator(">=", p.floor()), _upper((p.major + 1, 0, 0)))
    return (Comparator(">=", p.floor()), _upper((p.major, p.minor + 1, 0)))


def _caret(p: _Partial) -> tuple[Comparator, ...]:
    if p.major is None:
        return _ANY
    low = Comparator(">=", p.floor())
    if p.major > 0 or p.minor is None:
        return (low, _upper((p.major + 1, 0, 0)))
    if p.minor > 0 or p.patch is None:
        return (low, _upper((0, p.minor + 1, 0)))
    return (low, _upper((0, 0, p.patch + 1)))


def _compare(op: str, p: _Partial) -> tuple[Comparator, ...]:
    if p.major is None:  # >* and <* match nothing; <=* matches everything
        return _ANY if op == "<=" else _NONE
    if p.patch is not None:
        return (Comparator(op, p.floor()),)
    bump = (p.major + 1, 0, 0) if p.minor is None else (p.major, p.minor + 1, 0)
    if op == ">":  # >1.2 means >=1.3.0
        return (Comparator(">=", Version(*bump)),)
    if op == ">=":
        return (Comparator(">=", p.floor()),)
    if op == "<":  # <1.2 means <1.2.0-0
        return (Comparator("<", Version(p.major, p.minor or 0, 0, (0,))),)
    return (_upper(bump),)  # <=1.2 means <1.3.0-0


def _hyphen(low: _Partial, high: _Partial) -> tuple[Comparator, ...]:
    lower = _ANY if low.major is None else (Comparator(">=", low.floor()),)
    if high.major is None:
        upper: tuple[Comparator, ...] = _ANY
    elif high.minor is None:
        upper = (_upper((high.major + 1, 0, 0)),)
    elif high.patch is None:
        upper = (_upper((high.major, high.minor + 1, 0)),)
    else:
        upper = (Comparator("<=", high.floor()),)
    return lower + upper
