"""Errors say what, where and what to do."""

from attini_sdk.errors import AttiniError, ConfigError, PlanError, Problem


def test_error_renders_where_what_and_hint():
    err = ConfigError("version must be semver", where="a/attini-config.yaml: version", hint="use 1.0.0")
    assert str(err) == "a/attini-config.yaml: version: version must be semver\n  hint: use 1.0.0"
    assert isinstance(err, AttiniError)
    assert err.to_dict() == {
        "error": "ConfigError",
        "what": "version must be semver",
        "where": "a/attini-config.yaml: version",
        "hint": "use 1.0.0",
    }


def test_plan_error_lists_every_problem_with_its_location():
    err = PlanError([
        Problem("StartAt 'A' is not a state", file="plan.json", field="StartAt"),
        Problem("Next 'C' does not exist", file="plan.json", state="B", field="Next"),
        Problem("plan is empty"),
    ])
    text = str(err)
    assert "3 problems" in text
    assert "plan.json: field 'StartAt': StartAt 'A' is not a state" in text
    assert "plan.json: state 'B', field 'Next': Next 'C' does not exist" in text
    assert "  - plan is empty" in text
    assert len(err.to_dict()["problems"]) == 3


# -- two surfaces: hints in Python's words and in the CLI's ------------------------------------------

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

from attini_sdk.errors import LockError  # noqa: E402
from tests.python_syntax import python_syntax  # noqa: E402
from tests.layout_graph import parse_module  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "attini_sdk"
#: hints here are about what the user writes in that language: plan code (plan/) and ASL definitions (asl/)
SPEAKS_CODE = ("plan", "asl")


def _literal_text(node: ast.AST) -> str:
    """The string constants of an expression (f-string parts, both sides of ``or``), joined."""
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _hints() -> list[tuple[str, str, str, bool]]:
    """(file:line, package, hint text, has a cli_hint) for every ``hint=`` written in attini_sdk."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(parse_module(path)):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            if "hint" in keywords:
                rel = path.relative_to(PACKAGE)
                found.append((f"{rel}:{node.lineno}", rel.parts[0], _literal_text(keywords["hint"]),
                              "cli_hint" in keywords))
    return found


def test_the_cli_gets_its_own_hint_and_python_keeps_its_own():
    err = LockError("'app' is already being deployed", where="environment 'dev'",
                    hint="pass wait_for_lock=SECONDS", cli_hint="add --wait-for-lock SECONDS")

    assert str(err) == "environment 'dev': 'app' is already being deployed\n  hint: pass wait_for_lock=SECONDS"
    assert err.render(cli=True).endswith("hint: add --wait-for-lock SECONDS")
    assert err.to_dict()["hint"] == "pass wait_for_lock=SECONDS"
    assert err.to_dict(cli=True)["hint"] == "add --wait-for-lock SECONDS"
    assert ConfigError("x", hint="use 1.0.0").render(cli=True).endswith("hint: use 1.0.0")  # one hint for both


def test_every_hint_in_python_syntax_has_a_cli_hint_beside_it():
    hints = _hints()
    missing = [f"{at}: {text!r}" for at, package, text, has_cli in hints
               if python_syntax(text) and not has_cli and package not in SPEAKS_CODE]

    assert len(hints) > 200  # the walk found the hints
    assert not missing, "give these a cli_hint= in the CLI's words:\n" + "\n".join(missing)


def test_no_cli_hint_and_no_hint_of_the_cli_package_speaks_python():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(parse_module(path)):
            if isinstance(node, ast.keyword) and node.arg in ("cli_hint", "hint"):
                cli_module = path.relative_to(PACKAGE).parts[0] == "cli"
                if (node.arg == "cli_hint" or cli_module) and python_syntax(_literal_text(node.value)):
                    wrong.append(f"{path.relative_to(PACKAGE)}:{node.value.lineno}: {_literal_text(node.value)!r}")

    assert not wrong, "\n".join(wrong)
