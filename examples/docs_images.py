"""`make docs-img`: the pictures in README.md and docs/notebooks.md, made from the demo's story.

    python examples/docs_images.py            # writes docs/img/timeline.png and docs/img/landscape.png
    python examples/docs_images.py /tmp/img   # the same two files, into another folder

It runs the notebooks' sandbox (a moto server and a temporary ATTINI_HOME), deploys the example platform to
dev, acc and prod as the demo does (the app waits for its approval in prod and is approved; a broken app 0.4.0
fails in acc and is rolled back; network 1.1.0 goes to dev only, so the landscape shows a version behind), then
draws the failed deployment's timeline and the landscape heatmap with :mod:`attini_sdk.notebook.plots`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else OUT
    sys.path.insert(0, str(ROOT / "notebooks"))
    import sandbox

    box = sandbox.start()
    try:
        import attini_sdk as at

        def quiet(event):
            pass

        envs = [at.Environment.create("dev"), at.Environment.create("acc"),
                at.Environment.create("prod", type="production")]
        dev, acc, prod = envs
        for env in envs:
            env.parameters["DatabasePath"] = box.database_path(env.name)
        for name in ("network", "database", "app"):
            dev.deploy(sandbox.PLATFORM / name, progress=quiet)
            acc.deploy(dev.current(name), progress=quiet)
        for name in ("network", "database"):
            prod.deploy(acc.current(name), progress=quiet)
        release = prod.deploy(acc.current("app"), progress=quiet)
        release.approve("ApproveRelease", "approved for the docs")
        broken = acc.deploy(box.broken_app(), progress=quiet)  # app 0.4.0: a typo in its template
        acc.rollback("app", progress=quiet)
        dev.deploy(at.Distribution.from_path(sandbox.PLATFORM / "network", version="1.1.0"), progress=quiet)
        out.mkdir(parents=True, exist_ok=True)
        broken.timeline().savefig(out / "timeline.png", dpi=100)
        at.landscape_plot(envs).savefig(out / "landscape.png", dpi=100)
    finally:
        box.stop()
    for name in ("timeline.png", "landscape.png"):
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
