"""The Python way to write a deployment plan (Pulumi-style).

Create steps, pass one step's ``output(...)`` to another, and let the plan
work out the order: steps with no path between them run in parallel::

    >>> from attini_sdk.plan import Plan, Cfn, Runner, env, fmt
    >>> plan = Plan()
    >>> vpc = plan.add(Cfn("Vpc", stack_name=fmt("{}-vpc", env.name), template="/vpc.yaml"))
    >>> db = plan.add(Cfn("Db", stack_name="db", template="/db.yaml",
    ...                   parameters={"VpcId": vpc.output("VpcId")}))
    >>> plan.compile().state_names()
    ['Vpc', 'Db']
"""

from __future__ import annotations

from typing import TypeVar

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.compile import compile_steps
from attini_sdk.plan.definition import PlanDefinition
from attini_sdk.plan.steps import Step

S = TypeVar("S", bound=Step)


class Plan:
    """A deployment plan under construction.

    Steps join the plan by :meth:`add`, by being passed to ``Plan(...)``, or by
    being a dependency of a step that joined (as in Pulumi, the graph is
    discovered from references). ``runners`` holds ``Attini::Deploy::Runner``
    definitions by name.

    >>> from attini_sdk.plan import Runner
    >>> Plan(Runner("Hello", commands=["echo hello"])).compile().definition["States"]["Hello"]["Resource"]
    'attini:runner'
    """

    def __init__(self, *steps: Step, comment: str | None = None, runners: dict[str, dict] | None = None):
        self._steps: list[Step] = []
        self.comment = comment
        self.runners = dict(runners or {})
        for step in steps:
            self.add(step)

    def add(self, step: S) -> S:
        """Add a step (and, implicitly, every step it depends on); returns it for chaining.

        >>> from attini_sdk.plan import ManualApproval
        >>> Plan().add(ManualApproval("Approve")).name
        'Approve'
        """
        if not isinstance(step, Step):
            raise PlanError([Problem(f"{step!r} is not a step")], hint="add Cfn(...), Runner(...), Pass(...) ...")
        if all(step is not s for s in self._steps):
            self._steps.append(step)
        return step

    def runner(self, name: str, **properties) -> str:
        """Declare an ``Attini::Deploy::Runner`` (PascalCase properties); returns its name.

        >>> Plan().runner("DbRunner", Image="python:3.11", RunnerConfiguration={"MaxConcurrentJobs": 2})
        'DbRunner'
        """
        self.runners[name] = properties
        return name

    def cdk(self, name: str, *, app, **properties) -> Step:
        """Add a :class:`~attini_sdk.plan.Cdk` step deploying ``app``: an ``aws_cdk.App`` built in the plan
        module, or the command that synthesises the app in ``path=``. Returns the step.

        >>> Plan().cdk("Infra", app="python app.py", path="/infra").properties()["App"]
        'python app.py'
        """
        from attini_sdk.plan.steps import Cdk

        return self.add(Cdk(name, app=app, **properties))

    def compile(self, *, validate: bool = True) -> PlanDefinition:
        """Compile to ASL; raises PlanError listing every problem.

        ``validate=True`` also runs the ASL validator on the result (structure,
        paths, intrinsic functions, Attini properties).
        """
        compiled = compile_steps(self._steps, comment=self.comment, runners=self.runners)
        plan = PlanDefinition(compiled.definition, depends_on=compiled.depends_on,
                              lost_concurrency=compiled.lost_concurrency)
        return plan.validate() if validate else plan

    # -- views (delegate to the compiled plan) -------------------------------
    def to_json(self, indent: int | None = 2) -> str:
        """The compiled plan as JSON."""
        return self.compile().to_json(indent)

    def to_mermaid(self) -> str:
        """A mermaid flowchart of the compiled plan."""
        return self.compile().to_mermaid()

    def to_dot(self) -> str:
        """A graphviz digraph of the compiled plan."""
        return self.compile().to_dot()

    @property
    def steps(self):
        """DataFrame of the compiled plan's states: name, type, depends_on, resource, parent."""
        return self.compile().steps

    def _repr_markdown_(self) -> str:
        try:
            return self.compile()._repr_markdown_()
        except PlanError as err:
            return f"**invalid plan**\n\n```\n{err}\n```"

    def _repr_svg_(self) -> str | None:
        try:
            return self.compile()._repr_svg_()
        except PlanError:
            return None

    def _repr_html_(self) -> str | None:
        try:
            return self.compile()._repr_html_()
        except PlanError:
            return None

    def __repr__(self) -> str:
        """One line: how many states the compiled plan has and their names, joined by arrows when they run one
        after the other (by commas when branches run in parallel); a plan that does not compile says so.

        >>> from attini_sdk.plan import Runner
        >>> first = Runner("First", commands=["true"])
        >>> Plan(Runner("Second", commands=["true"], after=[first]))
        <Plan 2 states: First → Second>
        >>> Plan(Runner("A", commands=["true"]), Runner("B", commands=["true"]))
        <Plan 4 states: Parallel-1, A, B, Parallel-1-Merge (parallel branches)>
        """
        try:
            compiled = self.compile(validate=False)
        except Exception as err:  # a repr never raises: say what was added and that it does not compile
            added = ", ".join(s.name for s in self._steps[:8]) + (", …" if len(self._steps) > 8 else "")
            return f"<Plan {len(self._steps)} step(s) added: {added}; does not compile: {type(err).__name__}>"
        names = compiled.state_names()
        kinds = {b.get("Type") for b in compiled.definition.get("States", {}).values() if isinstance(b, dict)}
        note = (" (parallel branches)" if kinds & {"Parallel", "Map"} else " (with choices)" if "Choice" in kinds
                else "")
        more = f", … {len(names) - 8} more" if len(names) > 8 else ""
        text = (", " if note else " → ").join(names[:8]) + more
        return f"<Plan {len(names)} state{'s' if len(names) != 1 else ''}: {text}{note}>"
