"""The ASL conformance suite: every case in ``cases/*.yaml`` run through our engine.

A case passes when the execution ends the way AWS Step Functions ends it: the same status and
exactly the same output (JSON types included: ``1`` is not ``1.0``, ``true`` is not ``1``), or the
same error name (and, where the case gives one, a cause containing that text). A case marked
``rejected`` is a definition AWS refuses at CreateStateMachine; the engine must refuse it too
(an ``AttiniError`` from ``validate``/``start``) or, at the latest, fail the execution with
``States.Runtime``. A case marked ``start_refused`` is a StartExecution AWS refuses (an input over
the payload quota): the engine's ``start`` must raise an ``AttiniError``. Cases that show engine
bugs carry ``xfail: <bug>`` (strict, so a fix shows up).
"""

from __future__ import annotations

import collections
import re
import time
from pathlib import Path

import pytest

from tests.asl.conformance.cases import canonical, load_cases
from tests.asl.conformance.conftest import make_engine

CASES = load_cases()
INVENTORY_PAGE = Path(__file__).resolve().parents[3] / "docs" / "engine-conformance.md"
WAIT_SECONDS = 20
MINIMUM_PER_AREA = 8


def _param(case):
    marks = [pytest.mark.xfail(reason=case.xfail, strict=case.xfail_strict)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def finish(execution, seconds: float = WAIT_SECONDS):
    """Wait for the end; ``wait`` also returns while the execution is paused on a task token,
    so keep waiting until the callback answers (or the time is up)."""
    deadline = time.monotonic() + seconds
    execution.wait(timeout=seconds)
    while execution.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
        execution.wait(timeout=max(0.0, deadline - time.monotonic()))
    return execution


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_case(case, task_resources):
    engine = make_engine(task_resources.mapping(case.resources))
    task_resources.engine = engine
    if case.rejected:
        _expect_rejected(engine, case)
        return
    if case.start_refused:
        _expect_start_refused(engine, case)
        return
    execution = finish(engine.start(case.definition, case.input, name=case.execution_name))
    if case.expects_output:
        assert (execution.status, execution.error, execution.cause) == ("SUCCEEDED", None, None)
        assert canonical(execution.output) == canonical(case.output)
    else:
        assert (execution.status, execution.error) == (case.status, case.error), execution.cause
        if case.cause is not None:
            assert case.cause in (execution.cause or "")


def _expect_rejected(engine, case) -> None:
    from attini_sdk.errors import AttiniError

    try:
        engine.validate(case.definition)
        execution = finish(engine.start(case.definition, case.input))
    except AttiniError:
        return
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime"), (
        f"AWS rejects this definition; the engine ran it to {execution.status}"
    )


def _expect_start_refused(engine, case) -> None:
    from attini_sdk.errors import AttiniError

    with pytest.raises(AttiniError) as refused:
        engine.start(case.definition, case.input, name=case.execution_name)
    if case.cause is not None:
        assert case.cause in str(refused.value)


def test_the_suite_has_at_least_300_cases_across_every_area():
    per_area = collections.Counter(case.area for case in CASES)
    assert sum(per_area.values()) >= 300
    thin = {area: count for area, count in per_area.items() if count < MINIMUM_PER_AREA}
    assert not thin, f"areas with fewer than {MINIMUM_PER_AREA} cases: {thin}"


def test_every_case_cites_its_source():
    assert all(case.source.startswith(("http", "https")) or "http" in case.source for case in CASES)


def test_the_inventory_on_this_page_is_current():
    page = INVENTORY_PAGE.read_text(encoding="utf-8")
    table = page.split("<!-- inventory:start")[1].split("<!-- inventory:end")[0]
    rows = {
        match[0]: tuple(int(n) for n in match[1:])
        for match in re.findall(r"^\| (\S+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", table, re.M)
    }
    actual = {}
    for case in CASES:
        total, agree, differs, other = actual.get(case.area, (0, 0, 0, 0))
        verdict = case.moto_verdict
        actual[case.area] = (
            total + 1, agree + (verdict == "agree"), differs + (verdict == "differs"),
            other + (verdict not in ("agree", "differs")),
        )
    assert rows == actual
