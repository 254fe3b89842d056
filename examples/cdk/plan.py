"""The deployment plan: synthesise the CDK app in infra/ and deploy its two stacks, asking first when
they would change (Diff), then read the API stack's function name."""

from attini_sdk.plan import Cdk, Plan, env, fmt

plan = Plan()
infra = plan.add(Cdk("Infra", path="/infra", app="python app.py", diff={"Enabled": True},
                     context={"environment": env.name},
                     stack_configuration=[{"StackName": fmt("{}-inventory-api", env.name),
                                           "Parameters": {"Greeting": "hej"}}]))
