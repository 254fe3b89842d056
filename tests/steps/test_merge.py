"""MergeOutput: maps merge deeply, lists concatenate without duplicates, the first scalar wins."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attini_sdk.errors import StepFailed
from attini_sdk.steps import merge
from attini_sdk.steps.merge import merge_outputs

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=3), children, max_size=4)),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(max_size=3), json_values, max_size=5)


def _typed_trees(depth=3):
    """JSON trees in which a key's name fixes its kind, so branches never conflict in type."""
    leaf = st.integers(0, 5)
    if depth == 0:
        return st.fixed_dictionaries({}, optional={"s": leaf, "l": st.lists(leaf, max_size=3)})
    return st.fixed_dictionaries({}, optional={
        "s": leaf, "t": leaf, "l": st.lists(leaf, max_size=3), "d": _typed_trees(depth - 1),
        "e": _typed_trees(depth - 1)})


def paths(value, prefix=()):
    """Every (path, leaf) of a tree; lists and empty maps count as leaves."""
    if isinstance(value, dict) and (value or not prefix):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    else:
        yield prefix, value


def identity(value):
    return json.dumps(value, sort_keys=True)


def test_a_parallels_outputs_merge_into_one_payload():
    branches = [
        {"environment": "dev", "output": {"Network": {"VpcId": "vpc-1"}}, "tags": ["a"]},
        {"environment": "dev", "output": {"Database": {"Host": "db"}}, "tags": ["a", "b"]},
        {"environment": "dev", "output": {"Network": {"VpcId": "vpc-2"}, "App": {}}, "tags": ["c"]},
    ]

    assert merge.execute({}, branches, None, step="Merge", log=None) == {
        "environment": "dev",
        "output": {"Network": {"VpcId": "vpc-1"}, "Database": {"Host": "db"}, "App": {}},
        "tags": ["a", "b", "c"],
    }


def test_nothing_to_merge_is_an_empty_payload():
    assert merge_outputs([]) == {}


def test_a_non_array_input_is_an_error_pointing_at_the_parallel():
    with pytest.raises(StepFailed, match="needs an array of payloads") as failed:
        merge.execute({}, {"not": "a list"}, None, step="Merge", log=None)

    assert failed.value.error == "MergeOutput.InvalidInput"


@given(payloads)
def test_one_payload_merges_to_itself(payload):
    assert merge_outputs([payload]) == payload


@given(st.lists(_typed_trees(), min_size=1, max_size=4))
def test_every_key_path_of_every_branch_is_in_the_result(items):
    merged = merge_outputs(items)
    for item in items:
        for path, _ in paths(item):
            node = merged
            for key in path:
                assert isinstance(node, dict) and key in node
                node = node[key]


@given(st.lists(payloads, min_size=1, max_size=4))
def test_the_first_branchs_scalars_always_win(items):
    merged = merge_outputs(items)
    for path, leaf in paths(items[0]):
        if isinstance(leaf, (list, dict)):
            continue
        node = merged
        for key in path:
            node = node[key]
        assert identity(node) == identity(leaf)


@given(st.lists(st.lists(scalars, max_size=5), min_size=2, max_size=4))
def test_lists_concatenate_in_order_without_duplicates(lists):
    merged = merge_outputs([{"l": items} for items in lists])["l"]

    expected = []
    for item in (x for items in lists for x in items):
        if identity(item) not in map(identity, expected):
            expected.append(item)
    assert [identity(x) for x in merged] == [identity(x) for x in expected]


@settings(max_examples=200)
@given(_typed_trees(), _typed_trees(), _typed_trees())
def test_merging_is_associative_when_branches_agree_on_types(a, b, c):
    assert merge_outputs([merge_outputs([a, b]), c]) == merge_outputs([a, merge_outputs([b, c])])
    assert merge_outputs([a, b, c]) == merge_outputs([merge_outputs([a, b]), c])


@given(_typed_trees())
def test_merging_a_branch_with_itself_changes_nothing_but_duplicate_list_items(a):
    once = merge_outputs([a, {}])
    assert merge_outputs([a, a]) == merge_outputs([once, once])
    for path, leaf in paths(merge_outputs([a, a])):
        if isinstance(leaf, list):
            assert len({identity(x) for x in leaf}) == len(leaf)


def test_true_and_1_are_different_list_items():
    assert merge_outputs([{"l": [1, True]}, {"l": [True, 1.0, 1]}]) == {"l": [1, True, 1.0]}
