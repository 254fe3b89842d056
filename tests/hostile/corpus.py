"""The hostile-input corpus: inputs an attacker or a careless operator could hand to attini.

Each :class:`Case` builds its input under a case folder and names the ``attini`` command to run on it.
:func:`run_case` runs the command in this process (``attini_sdk.cli.main``) under an alarm and says
what happened: ``rejected`` (exit 1 with a one-message :class:`~attini_sdk.errors.AttiniError`),
``accepted`` (exit 0), ``crashed`` (any other exit, a traceback, or the alarm) and whether anything
was ``written outside`` the case folder. ``python -m tests.hostile.corpus`` runs them all and prints
the summary line::

    hostile corpus: tried 213, rejected 199, accepted 14, crashed 0, written outside 0

Cases fall in four groups: forged artifacts that pass verification (``zip``), source folders to
package (``pkg``), plans whose states misbehave at run time (``run``), and steps whose output is
hostile (``out``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import attrs

from tests.hostile.forge import PASS_PLAN, forge

#: seconds one case may take before it counts as a hang (the documented budgets are far below)
ALARM = 60
BILLION_LAUGHS = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]\n" for i in range(1, 10))


@attrs.frozen
class Case:
    """One hostile input: ``build(folder)`` writes it and returns the ``attini`` arguments to run."""

    name: str
    build: Callable[[Path], list[str]]


@attrs.frozen
class Outcome:
    name: str
    verdict: str  # rejected | accepted | crashed
    code: int | None
    message: str
    outside: bool


CASES: list[Case] = []


def case(name: str):
    def add(fn):
        CASES.append(Case(name, fn))
        return fn
    return add


# --- helpers -------------------------------------------------------------------------------------

def _deploy(zip_path: Path) -> list[str]:
    return ["deploy", "run", str(zip_path), "-e", "dev", "--yes"]


def _zip(folder: Path, files: dict[str, bytes], **kw) -> list[str]:
    return _deploy(forge(folder / "evil.zip", files, **kw))


def _dist(folder: Path, files: dict[str, str | bytes], *, config: str | bytes | None = None) -> Path:
    src = folder / "dist"
    src.mkdir()
    files = {"attini-config.yaml": config if config is not None else
             "distributionName: hostile\nversion: 1.0.0\nplan: plan.yaml\n", **files}
    for rel, content in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return src


def _package(folder: Path, files: dict[str, str | bytes], *, config: str | bytes | None = None,
             extra: tuple[str, ...] = ()) -> list[str]:
    src = _dist(folder, files, config=config)
    return ["distribution", "package", str(src), "-o", str(folder / "out"), "--skip-commands", *extra]


def _run_plan(folder: Path, plan: dict | str, files: dict[str, str | bytes] | None = None) -> list[str]:
    text = plan if isinstance(plan, str) else json.dumps(plan)
    src = _dist(folder, {"plan.json": text, **(files or {})},
                config="distributionName: hostile\nversion: 1.0.0\nplan: plan.json\n")
    return ["deploy", "run", str(src), "-e", "dev", "--yes"]


def _pass(**fields) -> dict:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", **fields, "End": True}}}


def _jsonata(expr: str) -> dict:
    return {"QueryLanguage": "JSONata", **_pass(Output=f"{{% {expr} %}}")}


def _nested(kind: str, depth: int) -> str:
    """A plan (JSON text: too deep for json.dumps) with ``kind`` states nested ``depth`` deep."""
    text = '{"StartAt": "L", "States": {"L": {"Type": "Pass", "End": true}}}'
    for i in range(depth):
        state = (f'{{"Type": "Parallel", "Branches": [{text}], "End": true}}' if kind == "Parallel" else
                 f'{{"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {text}, "End": true}}')
        text = f'{{"StartAt": "N{i}", "States": {{"N{i}": {state}}}}}'
    return text


def _deep_json(depth: int, open_: str = "[", close: str = "]") -> str:
    if open_ == "{":
        return '{"a":' * depth + "1" + "}" * depth
    return open_ * depth + close * depth


def _runner_plan(script: str) -> dict:
    return {"StartAt": "Out", "States": {"Out": {
        "Type": "Task", "Resource": "attini:runner",
        "Parameters": {"Commands": [script]}, "End": True}}}


# --- forged artifacts that pass verification ---------------------------------------------------

for _n in (200, 255, 256, 300, 1000, 5000):
    case(f"zip: entry name component of {_n} characters")(
        lambda f, n=_n: _zip(f, {"d/" + "n" * n: b"x"}))
for _depth, _width in ((20, 200), (40, 120), (100, 50), (2000, 2), (300, 30)):
    case(f"zip: entry path {_depth} folders of {_width} characters")(
        lambda f, d=_depth, w=_width: _zip(f, {"/".join(["p" * w] * d) + "/f": b"x"}))
for _pair in (("a", "a/b"), ("x/y", "x/y/z"), ("m", "m/n/o/p"), ("k/l", "k/l/m")):
    case(f"zip: entries {_pair[0]!r} and {_pair[1]!r} together")(
        lambda f, p=_pair: _zip(f, {p[0]: b"file", p[1]: b"inside"}))
for _label, _bytes in (("empty", b""), ("truncated", b'{"StartAt": "A"'), ("invalid UTF-8", b"\xff\xfe{}"),
                       ("a bare string", b'"hello"'), ("a number", b"42"), ("null", b"null"),
                       ("an array", b"[1, 2]"), ("true", b"true"), ("NaN", b"NaN"),
                       ("an object with NaN", b'{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": NaN, "End": true}}}'),
                       ("1e999", b'{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1e999, "End": true}}}'),
                       ("100k levels of arrays", _deep_json(100_000).encode()),
                       ("100k levels of objects", _deep_json(100_000, "{").encode()),
                       ("5,000 levels of objects", _deep_json(5_000, "{").encode()),
                       ("no States", b'{"StartAt": "A"}'), ("States a list", b'{"StartAt": "A", "States": []}'),
                       ("a 5,000-digit number", b'{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": '
                        + b"9" * 5000 + b', "End": true}}}'),
                       ("duplicate keys", b'{"StartAt": "P", "StartAt": "Q", "States": {"P": {"Type": "Pass", "End": true}}}')):
    case(f"zip: plan.json that is {_label}")(lambda f, b=_bytes: _zip(f, {"a.txt": b"x"}, plan_bytes=b))
for _depth in (200, 1000):
    for _kind in ("Parallel", "Map"):
        case(f"zip: plan.json with {_kind} nested {_depth} deep")(
            lambda f, k=_kind, d=_depth: _zip(f, {"a.txt": b"x"}, plan_bytes=_nested(k, d).encode()))
for _label, _config in (("NaN", {"x": float("nan")}), ("Infinity", {"x": float("inf")}),
                        ("-Infinity", {"x": float("-inf")}), ("NaN deep inside", {"a": [{"b": [float("nan")]}]})):
    case(f"zip: manifest config holding {_label}")(
        lambda f, c=_config: _zip(f, {"a.txt": b"x"}, manifest={"config": c}))


def _deep_dict(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


for _depth in (200, 1000, 5000, 100_000):
    case(f"zip: manifest config {_depth} levels deep")(
        lambda f, d=_depth: _zip(f, {"a.txt": b"x"}, manifest={"config": _deep_dict(d)})
        if d < 900 else _deep_manifest(f, d))
for _label, _tags in (("deep tags", {"t": _deep_dict(50)}), ("a list of tags", ["a"]),
                      ("a tag value of 1 MB", {"t": "v" * (1 << 20)}), ("10,000 tags", {f"t{i}": "v" for i in range(10_000)})):
    case(f"zip: manifest with {_label}")(lambda f, t=_tags: _zip(f, {"a.txt": b"x"}, manifest={"distributionTags": t}))
for _label, _name in (("an empty name", ""), ("a name of 10,000 characters", "n" * 10_000), ("a name with a slash", "../etc"),
                      ("a name with a newline", "a\nb"), ("a name with NUL", "a\x00b"), ("a name that is a number", 5)):
    case(f"zip: manifest with {_label}")(lambda f, n=_name: _zip(f, {"a.txt": b"x"}, manifest={"distributionName": n}))
for _label, _version in (("a 5,000-digit version", "1" * 5000 + ".0.0"), ("a version '../../x'", "../../x"),
                         ("a version with a newline", "1.0.0\n2"), ("a version of 1 MB", "1.0.0-" + "a" * (1 << 20)),
                         ("a version that is a number", 1), ("an empty version", "")):
    case(f"zip: manifest with {_label}")(lambda f, v=_version: _zip(f, {"a.txt": b"x"}, manifest={"version": v}))
for _label, _deps in (("a dependency range of 5,000 '||'", [{"distributionName": "x", "version": "||" * 5000}]),
                      ("a 5,000-digit dependency version", [{"distributionName": "x", "version": ">=" + "9" * 5000}]),
                      ("a dependency without a name", [{"version": "1"}]),
                      ("10,000 dependencies", [{"distributionName": f"d{i}", "version": "*"} for i in range(10_000)]),
                      ("a dependency on itself", [{"distributionName": "hostile", "version": "*"}])):
    case(f"zip: manifest with {_label}")(lambda f, d=_deps: _zip(f, {"a.txt": b"x"}, manifest={"dependencies": d}))
for _label, _value in (("schemaVersion 2", {"schemaVersion": 2}), ("schemaVersion NaN", {"schemaVersion": float("nan")}),
                       ("files a dict", {"files": {}}), ("config a list", {"config": []})):
    case(f"zip: manifest with {_label}")(lambda f, v=_value: _zip(f, {"a.txt": b"x"}, manifest=v))
for _label, _bytes in (("not JSON", b"{"), ("a bare string", b'"x"'), ("100k levels deep", _deep_json(100_000).encode()),
                       ("invalid UTF-8", b'{"a": "\xff"}'), ("NaN", b"NaN")):
    case(f"zip: manifest that is {_label}")(lambda f, b=_bytes: _zip(f, {"a.txt": b"x"}, manifest_bytes=b))


def _deep_manifest(folder: Path, depth: int) -> list[str]:
    from tests.hostile.forge import manifest_data

    plan = json.dumps(PASS_PLAN, sort_keys=True, separators=(",", ":")).encode()
    head = json.dumps(manifest_data({"a.txt": b"x"}, plan, {"config": {"PLACEHOLDER": 1}}), sort_keys=True,
                      separators=(",", ":"))
    deep = '{"a":' * depth + "1" + "}" * depth
    text = head.replace('{"PLACEHOLDER":1}', deep)
    return _deploy(forge(folder / "evil.zip", {"a.txt": b"x"}, plan_bytes=plan, manifest_bytes=text.encode()))


for _name in ("../outside.txt", "a/../../outside.txt", "/tmp/attini-outside.txt", "C:/outside.txt",
              "a\\..\\..\\outside.txt", "a/./b", "a//b", "dir/", "a\x00b"):
    case(f"zip: entry named {_name!r}")(lambda f, n=_name: _zip(f, {n: b"escape"}))
for _count in (20_001, 150_000):
    case(f"zip: {_count:,} entries")(lambda f, n=_count: _zip(f, {f"f/{i:06d}": b"" for i in range(n)}))

# --- source folders to package ------------------------------------------------------------------

_PLAN_YAML = "StartAt: P\nStates:\n  P: {Type: Pass, End: true}\n"
_TEMPLATE = ("Resources:\n  Plan:\n    Type: Attini::Deploy::DeploymentPlan\n    Properties:\n"
             "      DeploymentPlan:\n        - Name: Hi\n          Type: AttiniRunnerJob\n"
             "          Properties: {Commands: [echo hi]}\n")
_INIT = "distributionName: hostile\nversion: 1.0.0\ninitDeployConfig:\n  template: init.yaml\n"

for _label, _bytes in (("plan", b"Resources: {}\n# \xff\n"), ("plan with a BOM and \\xff", b"\xef\xbb\xbfStartAt: P\n\xff"),
                       ("plan in UTF-16", "StartAt: P\n".encode("utf-16")), ("plan with a lone surrogate", b"StartAt: \xed\xa0\x80\n")):
    case(f"pkg: invalid UTF-8 in the {_label}")(lambda f, b=_bytes: _package(f, {"plan.yaml": b}))
case("pkg: invalid UTF-8 in the init template")(
    lambda f: _package(f, {"init.yaml": b"Resources: {}\n# \xff\n"}, config=_INIT))
case("pkg: invalid UTF-8 in a JSON plan")(
    lambda f: _package(f, {"plan.json": b'{"StartAt": "\xff"}'},
                       config="distributionName: hostile\nplan: plan.json\n"))
case("pkg: invalid UTF-8 in attini-config")(lambda f: _package(f, {}, config=b"distributionName: h\n# \xff\n"))
_PT = '"Attini::Deploy::DeploymentPlan"'
for _label, _text in (("truncated", '{"Resources": {"P": {"Type": ' + _PT), ("trailing comma", '{"T": ' + _PT + ',}'),
                      ("single quotes", "{'Resources': " + _PT + "}"), ("NaN", '{"Resources": NaN, "T": ' + _PT + '}'),
                      ("a bare string", _PT), ("an array", "[" + _PT + "]"),
                      ("100k levels", _PT + _deep_json(100_000)), ("5,000 levels of objects", _deep_json(5_000, "{") + _PT),
                      ("a plan nested 5,000 levels", '{"Resources": {"P": {"Type": ' + _PT + ', "Properties": {"DeploymentPlan": '
                       + _deep_json(5000, "{") + "}}}}")):
    case(f"pkg: init template in JSON that is {_label}")(
        lambda f, t=_text: _package(f, {"init.json": t},
                                    config="distributionName: hostile\ninitDeployConfig:\n  template: init.json\n"))
for _depth in (200, 1000, 5000, 100_000):
    case(f"pkg: JSON plan {_depth} levels deep")(
        lambda f, d=_depth: _package(f, {"plan.json": _deep_json(d)},
                                     config="distributionName: hostile\nplan: plan.json\n"))
    case(f"pkg: YAML plan of flow sequences {_depth} levels deep")(
        lambda f, d=_depth: _package(f, {"plan.yaml": "States: " + _deep_json(d)}))
for _depth in (200, 1000):
    case(f"pkg: YAML plan of block mappings {_depth} levels deep")(
        lambda f, d=_depth: _package(f, {"plan.yaml": "".join(" " * i + "a:\n" for i in range(d)) + " " * d + "b: 1\n"}))
for _depth in (50, 200, 1000):
    for _kind in ("Parallel", "Map"):
        case(f"pkg: {_kind} nested {_depth} deep in a JSON plan")(
            lambda f, k=_kind, d=_depth: _package(f, {"plan.json": _nested(k, d)},
                                                  config="distributionName: hostile\nplan: plan.json\n"))
case("pkg: NaN in a YAML plan")(lambda f: _package(f, {"plan.yaml": _PLAN_YAML.replace("End: true", "Result: .nan, End: true")}))
case("pkg: .inf in a YAML plan")(lambda f: _package(f, {"plan.yaml": _PLAN_YAML.replace("End: true", "Result: .inf, End: true")}))
case("pkg: NaN in a JSON plan")(
    lambda f: _package(f, {"plan.json": '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": NaN, "End": true}}}'},
                       config="distributionName: hostile\nplan: plan.json\n"))
case("pkg: NaN in attini-config")(lambda f: _package(f, {"plan.yaml": _PLAN_YAML},
                                                     config="distributionName: hostile\nplan: plan.yaml\nappConfig: {x: .nan}\n"))
for _label, _version in (("5,000 digits", "1" * 5000 + ".0.0"), ("5,000 digits of patch", "1.0." + "9" * 5000),
                         ("a 10,000-character prerelease", "1.0.0-" + "a" * 10_000),
                         ("a 10,000-character build", "1.0.0+" + "b" * 10_000), ("leading zeros", "01.0.0")):
    case(f"pkg: version with {_label} in attini-config")(
        lambda f, v=_version: _package(f, {"plan.yaml": _PLAN_YAML},
                                       config=f"distributionName: hostile\nversion: '{v}'\nplan: plan.yaml\n"))
    case(f"pkg: version with {_label} on the command line")(
        lambda f, v=_version: _package(f, {"plan.yaml": _PLAN_YAML}, extra=("-v", v)))
case("pkg: YAML billion laughs in the plan")(lambda f: _package(f, {"plan.yaml": BILLION_LAUGHS + _PLAN_YAML}))
case("pkg: YAML billion laughs in the init template")(
    lambda f: _package(f, {"init.yaml": BILLION_LAUGHS + _TEMPLATE}, config=_INIT))
case("pkg: YAML billion laughs in attini-config")(
    lambda f: _package(f, {}, config=BILLION_LAUGHS + "distributionName: hostile\n"))
case("pkg: YAML billion laughs inside a plan state")(
    lambda f: _package(f, {"plan.yaml": BILLION_LAUGHS + "StartAt: P\nStates:\n  P: {Type: Pass, Result: *a9, End: true}\n"}))
case("pkg: YAML alias cycle (recursive anchor)")(
    lambda f: _package(f, {"plan.yaml": "StartAt: P\nStates: &s\n  P: {Type: Pass, Result: *s, End: true}\n"}))
for _label, _pattern in (("nested stars", "*" * 64 + "!"), ("a hundred '**/'", "**/" * 100 + "x"),
                         ("alternating stars and letters", "a*" * 200 + "b"), ("a 100 KB pattern", "x" * 100_000),
                         ("a bracket bomb", "[" * 5000), ("backslashes", "\\" * 5001),
                         ("stars between slashes", "/".join(["*"] * 500)), ("question marks", "?" * 10_000)):
    case(f"pkg: .attini-ignore with {_label}")(
        lambda f, p=_pattern: _package(f, {"plan.yaml": _PLAN_YAML, ".attini-ignore": p + "\n",
                                           "a" * 40 + "/" + "a" * 40 + "/" + "a" * 100: "x"}))
case("pkg: .attini-ignore with 100,000 lines")(
    lambda f: _package(f, {"plan.yaml": _PLAN_YAML, ".attini-ignore": "".join(f"*{i}*x*y*\n" for i in range(100_000))}))
case("pkg: .attini-ignore in invalid UTF-8")(lambda f: _package(f, {"plan.yaml": _PLAN_YAML, ".attini-ignore": b"\xff\n"}))
for _label, _config in (("a list", "- a\n- b\n"), ("a scalar", "hello\n"), ("empty", ""), ("a tab indent", "a:\n\tb: 1\n"),
                        ("100k levels of flow lists", "distributionName: " + _deep_json(100_000) + "\n"),
                        ("5,000 levels of flow mappings", "distributionName: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
                        ("2 MB", "distributionName: hostile\n# " + "x" * (2 << 20) + "\n"),
                        ("a duplicate key", "distributionName: a\nversion: 1.0.0\ndistributionName: b\n"),
                        ("a duplicate nested key", "distributionName: a\ninitDeployConfig:\n  template: t\n  template: u\n"),
                        ("an unknown tag", "distributionName: !!python/object:os.system x\n"),
                        ("a dependency range of 5,000 '||'",
                         "distributionName: h\ndependencies:\n  - distributionName: x\n    version: '" + "||" * 5000 + "'\n"),
                        ("a 5,000-digit dependency version",
                         "distributionName: h\ndependencies:\n  - distributionName: x\n    version: '>=" + "9" * 5000 + "'\n"),
                        ("a name of 10,000 characters", "distributionName: " + "n" * 10_000 + "\n"),
                        ("a plan path escaping the folder", "distributionName: h\nplan: ../../etc/passwd\n"),
                        ("an absolute plan path", "distributionName: h\nplan: /etc/passwd\n"),
                        ("a plan that is a folder", "distributionName: h\nplan: sub\n")):
    case(f"pkg: attini-config that is {_label}")(lambda f, c=_config: _package(f, {"sub/x": "1"}, config=c))
def _deep_choice(depth: int) -> str:
    rule = '{"Not": ' * depth + '{"Variable": "$.x", "IsPresent": true}' + "}" * depth
    return ('{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Not": ' + rule + ', "Next": "E"}], '
            '"Default": "E"}, "E": {"Type": "Succeed"}}}')


for _depth in (100, 1000, 5000):
    case(f"pkg: a Choice rule with {_depth} nested Not")(
        lambda f, d=_depth: _package(f, {"plan.json": _deep_choice(d)},
                                     config="distributionName: hostile\nplan: plan.json\n"))
for _depth in (100, 1000, 5000):
    case(f"pkg: a Pass Result {_depth} levels deep")(
        lambda f, d=_depth: _package(f, {"plan.json": json.dumps(_pass(Result=_deep_dict(d))) if d < 900 else
                                         '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true, "Result": '
                                         + _deep_json(d, "{") + "}}}"},
                                     config="distributionName: hostile\nplan: plan.json\n"))

# --- plans whose states misbehave at run time -----------------------------------------------------

for _label, _expr in (("recursing forever", "($f := function($x){ $f($x) }; $f(1))"),
                      ("recursing forever in tail position", "($f := function($x){ $x > 0 ? $f($x + 1) : 0 }; $f(1))"),
                      ("looping over a huge range", "$sum([1..10000000].($ * 2))"),
                      ("nesting maps", "$count([1..3000].([1..3000]))"),
                      ("backtracking catastrophically", '$match("' + "a" * 40 + '!", /^(a+)+$/)'),
                      ("backtracking through $contains", '$contains("' + "a" * 40 + '!", /^(a|aa)+$/)'),
                      ("backtracking through $replace", '$replace("' + "a" * 40 + '!", /(a*)*b/, "x")'),
                      ("backtracking through $split", '$split("' + "a" * 40 + '!", /(a|a)*b/)'),
                      ("building a huge string", '$join([1..100000].$string($), "")'),
                      ("doubling a string", '($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("x", 40)))'),
                      ("calling $eval", '$eval("1")'), ("dividing by zero", "1/0"),
                      ("deep recursion", "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))"),
                      ("a 5,000-deep expression", "(" * 5000 + "1" + ")" * 5000),
                      ("a 5,000-deep array", "[" * 5000 + "1" + "]" * 5000),
                      ("parsing deep JSON", '$parse("' + "[" * 100_000 + "]" * 100_000 + '")'),
                      ("$range over a million", "$range(1, 1000000, 1)"),
                      ("a huge $hash input", '$hash($join([1..200000].$string($), ""), "SHA-256")')):
    case(f"run: JSONata {_label} in a Pass state")(lambda f, e=_expr: _run_plan(f, _jsonata(e)))
for _label, _fields in (("States.ArrayRange of 100 million", {"Parameters": {"r.$": "States.ArrayRange(1, 100000000, 1)"}}),
                        ("States.StringSplit of 1 MB", {"Parameters": {"s.$": "States.StringSplit('" + "a," * 100_000 + "', ',')"}}),
                        ("States.JsonToString of deep input", {"Parameters": {"d.$": "States.JsonToString($)"}}),
                        ("States.StringToJson of deep text",
                         {"Parameters": {"d.$": "States.StringToJson('" + "[" * 100_000 + "]" * 100_000 + "')"}}),
                        ("States.Format with 10,000 arguments",
                         {"Parameters": {"f.$": "States.Format('" + "{}" * 10_000 + "'" + ", 1" * 10_000 + ")"}}),
                        ("States.ArrayRepeat of 100 million", {"Parameters": {"r.$": "States.ArrayRepeat('x', 100000000)"}}),
                        ("a JSONPath filter 5,000 deep", {"InputPath": "$" + "[?(@.a)]" * 5000}),
                        ("a JSONPath of 100,000 dots", {"InputPath": "$" + ".a" * 100_000}),
                        ("a ResultPath into a string", {"Result": "x", "ResultPath": "$.a.b.c"}),
                        ("States.Hash of 1 MB", {"Parameters": {"h.$": "States.Hash('" + "a" * (1 << 20) + "', 'SHA-256')"}}),
                        ("a nested intrinsic 500 deep", {"Parameters": {"x.$": "States.JsonToString(" * 500 + "$" + ")" * 500}})):
    case(f"run: JSONPath Pass state with {_label}")(lambda f, x=_fields: _run_plan(f, _pass(**x)))
case("run: Pass loop of 100,000 transitions")(lambda f: _run_plan(f, {
    "StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}))
case("run: a Choice loop that never ends")(lambda f: _run_plan(f, {
    "StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "C"},
                               "C": {"Type": "Choice", "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "E"}],
                                     "Default": "A"},
                               "E": {"Type": "Succeed"}}}))
case("run: Map over 100,000 items")(lambda f: _run_plan(f, {
    "StartAt": "R", "States": {
        "R": {"Type": "Pass", "Parameters": {"items.$": "States.ArrayRange(1, 100000, 1)"}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
              "ItemProcessor": {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}}}}}))

# --- steps whose output is hostile ------------------------------------------------------------

for _label, _script in (("deep JSON", "python3 -c \"print('['*100000+']'*100000)\" > \"$ATTINI_OUTPUT\""),
                        ("NaN", "echo '{\"x\": NaN}' > \"$ATTINI_OUTPUT\""),
                        ("invalid UTF-8", "printf '{\"x\": \"\\377\"}' > \"$ATTINI_OUTPUT\""),
                        ("not JSON", "echo '{' > \"$ATTINI_OUTPUT\""),
                        ("a bare string", "echo '\"x\"' > \"$ATTINI_OUTPUT\""),
                        ("10 MB", "python3 -c \"print('{\\\"x\\\": \\\"' + 'a'*(10<<20) + '\\\"}')\" > \"$ATTINI_OUTPUT\""),
                        ("a 5,000-digit number", "python3 -c \"print('{\\\"x\\\": ' + '9'*5000 + '}')\" > \"$ATTINI_OUTPUT\""),
                        ("5,000 levels of objects", "python3 -c \"print('{\\\"a\\\":'*5000 + '1' + '}'*5000)\" > \"$ATTINI_OUTPUT\""),
                        ("binary log lines", "head -c 100000 /dev/urandom"),
                        ("a 1 MB log line", "python3 -c \"print('x'*(1<<20))\""),
                        ("the output file replaced by a symlink", "ln -sf /etc/passwd \"$ATTINI_OUTPUT\""),
                        ("the output file replaced by a folder", "rm -f \"$ATTINI_OUTPUT\"; mkdir \"$ATTINI_OUTPUT\"")):
    case(f"out: a runner step writing {_label}")(
        lambda f, s=_script: _run_plan(f, _runner_plan(s)))


# --- running ----------------------------------------------------------------------------------

class _Alarm(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


def _snapshot(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def run_case(c: Case, folder: Path, *, alarm: int = ALARM) -> Outcome:
    """Build ``c`` under ``folder`` (a new, empty folder), run it, and judge what happened."""
    from attini_sdk.cli import main

    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    old_env = {k: os.environ.get(k) for k in ("ATTINI_HOME",)}
    os.environ["ATTINI_HOME"] = str(home)
    parent = folder.parent
    before = _snapshot(parent) | {f"../{n}" for n in _snapshot(parent.parent)}
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    crashed_by = ""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["environment", "create", "dev", "-t", "test"])
        args = c.build(folder)
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(alarm)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(args)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    except _Alarm:
        crashed_by = f"no answer within {alarm} s"
    except BaseException as exc:  # noqa: BLE001 - anything escaping main() is a crash by definition
        crashed_by = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        for k, v in old_env.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    text = err.getvalue() + out.getvalue()
    outside = (_snapshot(parent) | {f"../{n}" for n in _snapshot(parent.parent)}) != before \
        or Path("/tmp/attini-outside.txt").exists()
    if crashed_by:
        return Outcome(c.name, "crashed", None, crashed_by, outside)
    if code == 0:
        verdict = "accepted"
    elif code == 1 and "Traceback" not in text and "internal error" not in text:
        verdict = "rejected"
    else:
        verdict = "crashed"
    return Outcome(c.name, verdict, code, " ".join(err.getvalue().split()), outside)


def summary(outcomes: list[Outcome]) -> str:
    """``hostile corpus: tried N, rejected N, accepted N, crashed N, written outside N``."""
    count = {v: sum(o.verdict == v for o in outcomes) for v in ("rejected", "accepted", "crashed")}
    return (f"hostile corpus: tried {len(outcomes)}, rejected {count['rejected']}, accepted {count['accepted']}, "
            f"crashed {count['crashed']}, written outside {sum(o.outside for o in outcomes)}")


def main(argv: list[str] | None = None) -> int:
    """Run the corpus (or the cases whose name holds one of ``argv``) and print one line per case and the summary."""
    import tempfile
    import time

    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv
    words = [a for a in argv if a != "-v"]
    chosen = [c for c in CASES if not words or any(w in c.name for w in words)]
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="attini-hostile-") as tmp:
        for i, c in enumerate(chosen):
            started = time.monotonic()
            outcome = run_case(c, Path(tmp) / "cases" / f"case-{i:03d}")
            took = time.monotonic() - started
            outcomes.append(outcome)
            flag = "  <--" if outcome.verdict == "crashed" or outcome.outside else ""
            if verbose or flag:
                print(f"{outcome.verdict:8} {took:6.2f}s {c.name}: {outcome.message[:160]}{flag}", flush=True)
    print(summary(outcomes))
    return 0 if all(o.verdict != "crashed" and not o.outside for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
