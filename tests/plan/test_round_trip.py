"""One three-step deployment written three ways compiles to the same plan."""

import textwrap

from attini_sdk.plan import Cfn, LambdaInvoke, Plan, Runner, fmt, load_plan, stack_parameter


def python_plan():
    network = Cfn("Network", stack_name=fmt("{}-network", stack_parameter("AttiniEnvironmentName")),
                  template="/network/vpc.yaml", parameters={"Cidr": "10.0.0.0/16"})
    migrate = Runner("Migrate", commands=["./migrate.sh"], environment={"VPC_ID": network.output("VpcId")})
    smoke = LambdaInvoke("Smoke", function_name=fmt("{}-smoke", stack_parameter("AttiniEnvironmentName")),
                         after=[migrate])
    return Plan(smoke).compile()


SIMPLE = """
    Parameters:
      AttiniEnvironmentName: {Type: String}
    Resources:
      DeploymentPlan:
        Type: Attini::Deploy::DeploymentPlan
        Properties:
          DeploymentPlan:
            - Name: Network
              Type: AttiniCfn
              Properties:
                StackName: !Sub ${AttiniEnvironmentName}-network
                Template: /network/vpc.yaml
                Parameters: {Cidr: 10.0.0.0/16}
            - Name: Migrate
              Type: AttiniRunnerJob
              Properties:
                Commands: [./migrate.sh]
                Environment:
                  VPC_ID.$: $.output.Network.VpcId
            - Name: Smoke
              Type: AttiniLambdaInvoke
              Properties:
                FunctionName: !Sub ${AttiniEnvironmentName}-smoke
"""

ASL_FORM = """
    Parameters:
      AttiniEnvironmentName: {Type: String}
    Resources:
      DeploymentPlan:
        Type: Attini::Deploy::DeploymentPlan
        Properties:
          DeploymentPlan:
            StartAt: Network
            States:
              Network:
                Type: AttiniCfn
                Properties:
                  StackName: !Sub ${AttiniEnvironmentName}-network
                  Template: /network/vpc.yaml
                  Parameters: {Cidr: 10.0.0.0/16}
                Next: Migrate
              Migrate:
                Type: AttiniRunnerJob
                Properties:
                  Commands: [./migrate.sh]
                  Environment:
                    VPC_ID.$: $.output.Network.VpcId
                Next: Smoke
              Smoke:
                Type: AttiniLambdaInvoke
                Properties:
                  FunctionName: !Join ['-', [!Ref AttiniEnvironmentName, smoke]]
                End: true
"""


def test_python_simple_syntax_and_asl_form_compile_to_the_same_plan(tmp_path):
    (tmp_path / "simple.yaml").write_text(textwrap.dedent(SIMPLE))
    (tmp_path / "asl.yaml").write_text(textwrap.dedent(ASL_FORM))
    files = ["network/vpc.yaml", "migrate.sh"]

    from_python = python_plan()
    from_simple = load_plan(tmp_path / "simple.yaml", files=files)
    from_asl = load_plan(tmp_path / "asl.yaml", files=files)

    assert from_python.canonical() == from_simple.canonical() == from_asl.canonical()
    assert from_python.digest() == from_asl.digest()
    assert from_python.definition["States"]["Smoke"]["Parameters"] == {
        "FunctionName.$": "States.Format('{}-smoke', $.stackParameters.AttiniEnvironmentName)"}


def test_the_compiled_json_loads_back_as_raw_asl_unchanged(tmp_path):
    compiled = python_plan()
    (tmp_path / "plan.json").write_text(compiled.to_json())

    again = load_plan(tmp_path / "plan.json")

    assert again == compiled
