"""The runner worker of the AWS backend: takes jobs from ``runner-jobs`` and runs them with the step executors.

The same code runs in the ECS service (``python -m attini_sdk.runner``) and in the emulation
(``python -m attini_sdk.backends.aws.emulate`` starts it as a subprocess). Each job is one ``attini:*`` step
of a lowered plan (:mod:`attini_sdk.backends.aws.lowering`); the worker runs it exactly as the local backend
does (:class:`~attini_sdk.backends.local.step_recorder.StepRecorder`: skip unchanged, step runs, redacted
logs, approvals), then answers the task token::

    worker = RunnerWorker(clients, state, contract, cache_dir="/tmp/attini-runner")
    worker.run()            # long-polls until idle for idle_ttl_seconds

Nothing here imports pandas (the runner image has it, but the worker never needs it).
"""

from attini_sdk.runner.worker import RunnerSettings, RunnerWorker

__all__ = ["RunnerSettings", "RunnerWorker"]
