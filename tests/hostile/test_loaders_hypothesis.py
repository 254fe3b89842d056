"""Generated deep, huge and malformed documents for every loader: each either loads or raises the
loader's own AttiniError; none crashes, recurses out of the stack or hangs.

Loaders: attini-config (YAML and JSON), plan YAML, ASL JSON, a Cfn ConfigFile, the artifact manifest
and a runner step's ``$ATTINI_OUTPUT``.
"""

from __future__ import annotations

import json
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attini_sdk.artifacts.manifest import Manifest
from attini_sdk.config import limits
from attini_sdk.config.load import load_config
from attini_sdk.errors import AttiniError
from attini_sdk.plan.loaders import load_plan
from attini_sdk.steps.cfn_config import _parse_config_file
from attini_sdk.steps.runner import _read_output
from tests.hostile.corpus import BILLION_LAUGHS

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=30)


@st.composite
def deep(draw) -> str:
    """A JSON/YAML flow document nested between 1 and 20,000 levels, of lists or mappings."""
    depth = draw(st.sampled_from([1, 50, 99, 100, 101, 500, 1000, 5000, 20_000]))
    if draw(st.booleans()):
        return "[" * depth + "1" + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


@st.composite
def huge(draw) -> str:
    kind = draw(st.sampled_from(["string", "number", "many keys", "long list", "alias bomb"]))
    if kind == "string":
        return json.dumps({"a": "x" * draw(st.sampled_from([10, 1 << 20]))})
    if kind == "number":
        return '{"a": ' + "9" * draw(st.sampled_from([10, 300, 4301, 5000])) + "}"
    if kind == "many keys":
        return json.dumps({f"k{i}": i for i in range(draw(st.sampled_from([10, 50_000])))})
    if kind == "long list":
        return json.dumps(list(range(draw(st.sampled_from([10, 300_000])))))
    return BILLION_LAUGHS


@st.composite
def malformed(draw) -> bytes:
    text = json.dumps(draw(values)).encode()
    how = draw(st.sampled_from(["truncate", "insert", "nan", "bom", "utf16", "tab", "duplicate"]))
    if how == "truncate":
        return text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    if how == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\xed\xa0\x80", b": &a [*a]", b"!!python/name:os.system",
                                                 b"NaN", b"*x", b"\t", b"\r"])) + text[at:]
    if how == "nan":
        return b'{"a": ' + draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b".nan", b".inf"])) + b"}"
    if how == "bom":
        return b"\xef\xbb\xbf" + text
    if how == "utf16":
        return text.decode().encode("utf-16")
    if how == "tab":
        return b"a:\n\tb: 1\n"
    return b"a: 1\nb: 2\na: 3\n"


documents = st.one_of(deep().map(str.encode), huge().map(str.encode), malformed(),
                      values.map(lambda v: json.dumps(v).encode()))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


def loads_or_refuses(load) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown keys warn; thousands of warnings are not the point here
        try:
            load()
        except AttiniError:
            pass


@SETTINGS
@given(documents, st.sampled_from(["attini-config.yaml", "attini-config.json"]))
def test_config_loader(tmp_path, data, name):
    (tmp_path / name).write_bytes(data)
    loads_or_refuses(lambda: load_config(tmp_path / name))


@SETTINGS
@given(documents, st.sampled_from(["plan.yaml", "plan.json"]))
def test_plan_loader_yaml_and_asl_json(tmp_path, data, name):
    (tmp_path / name).write_bytes(data)
    loads_or_refuses(lambda: load_plan(tmp_path / name))


@SETTINGS
@given(documents, st.sampled_from(["config.yaml", "config.json"]))
def test_cfn_config_file_loader(data, name):
    loads_or_refuses(lambda: _parse_config_file(name, data, step="Deploy"))


@SETTINGS
@given(documents)
def test_manifest_loader(data):
    loads_or_refuses(lambda: Manifest.from_bytes(data))


@SETTINGS
@given(documents)
def test_runner_output_loader(tmp_path, data):
    (tmp_path / "output.json").write_bytes(data)
    result = None
    try:
        result = _read_output(tmp_path / "output.json", "Out")
    except AttiniError:
        return
    limits.check_document(result)  # what a step returns is always JSON data within the limits
    json.dumps(result, allow_nan=False)
