"""Run the conformance cases on moto and say, per case, whether moto agrees with the expectation.

A maintainer's tool for keeping the ``moto:`` fields honest (the differential test checks the
``agree`` ones on every run). Usage, from the repository root::

    .venv/bin/python tests/asl/differential/check_moto.py            # cases whose moto field disagrees
    .venv/bin/python tests/asl/differential/check_moto.py --all      # every case, with moto's result
    .venv/bin/python tests/asl/differential/check_moto.py choice     # one area
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.asl.conformance.cases import Case, canonical, load_cases  # noqa: E402
from tests.asl.differential.moto_backend import MotoResult, MotoStepFunctions  # noqa: E402


def moto_agrees(case: Case, result: MotoResult) -> bool:
    """Does moto's result match what the case expects (error names, not cause texts)?"""
    if case.rejected:
        return result.status == "REJECTED"
    if case.start_refused:
        return result.status == "START_REFUSED"
    if case.expects_output:
        return result.status == "SUCCEEDED" and canonical(result.output) == canonical(case.output)
    return result.status == case.status and result.error == case.error


def describe(result: MotoResult) -> str:
    if result.status == "SUCCEEDED":
        return f"SUCCEEDED {canonical(result.output)}"
    return f"{result.status} {result.error or ''} {(result.cause or '')[:80]}".strip()


def main(argv: list[str]) -> int:
    show_all = "--all" in argv
    areas = [arg for arg in argv if not arg.startswith("--")]
    cases = [case for case in load_cases() if not areas or case.area in areas]
    counts = {"agree": 0, "differs": 0, "skip": 0}
    with MotoStepFunctions() as moto_sfn:
        for case in cases:
            if case.resources or case.moto_verdict == "skip":
                counts["skip"] += 1
                continue
            result = moto_sfn.run(case.definition, case.input, name=case.execution_name)
            actual = "agree" if moto_agrees(case, result) else "differs"
            counts[actual] += 1
            if show_all or actual != case.moto_verdict:
                print(f"{case.id}: declared={case.moto_verdict or '-'} actual={actual}: {describe(result)}")
    print(f"moto agrees {counts['agree']}, differs {counts['differs']}, skipped {counts['skip']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
