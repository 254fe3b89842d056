"""A deploying process for tests that need a second process (approve elsewhere, concurrency, kill -9).

    python deployer.py deploy ENV TARGET [REASON]          deploy, print the result as JSON
    python deployer.py hold ENV TARGET READY               deploy, write READY (JSON), then wait to be killed
    python deployer.py approve ENV DIST STEP MESSAGE       approve the latest deployment's waiting step
    python deployer.py abort ENV DIST STEP MESSAGE
    python deployer.py series ENV TARGET N START           wait for START, deploy TARGET N times, print revisions
    python deployer.py race ENV TARGET DIR NAME            wait for DIR/go, deploy once; report won or LockError

ATTINI_HOME and the AWS settings (AWS_ENDPOINT_URL ...) come from the environment, as for any user.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import attini_sdk as at


def _wait_for(path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    tmp.rename(path)


def _result(d) -> dict:
    return {"id": d.id, "revision": d.revision, "status": d.status, "error": d.error}


def main(argv: list[str]) -> None:
    mode, env_name, *rest = argv
    env = at.Environment.local(env_name)
    if mode == "deploy":
        print(json.dumps(_result(env.deploy(rest[0], reason=rest[1] if len(rest) > 1 else None))))
    elif mode == "hold":
        d = env.deploy(rest[0])
        _write(Path(rest[1]), _result(d))
        time.sleep(3600)
    elif mode in ("approve", "abort"):
        dist, step, message = rest
        d = env.latest(dist)
        getattr(d, mode)(step, message)
        print(json.dumps(_result(d)))
    elif mode == "series":
        target, count, start = rest[0], int(rest[1]), Path(rest[2])
        (start.parent / f"ready-{env_name}-{Path(target).name}").touch()
        _wait_for(start)
        print(json.dumps([env.deploy(target).revision for _ in range(count)]))
    elif mode == "race":
        target, folder, name = rest[0], Path(rest[1]), rest[2]
        (folder / f"ready-{name}").touch()
        _wait_for(folder / "go")
        try:
            d = env.deploy(target)
        except at.LockError as err:
            _write(folder / f"result-{name}.json", {"won": False, "error": type(err).__name__,
                                                     "message": str(err)})
        else:
            _write(folder / f"result-{name}.json", {"won": True, **_result(d)})
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
