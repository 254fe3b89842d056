"""A sandbox for the notebooks: a moto server standing in for AWS and a fresh ATTINI_HOME, both temporary.

    import sandbox
    box = sandbox.start()        # sets AWS_ENDPOINT_URL, fake credentials and ATTINI_HOME
    ...
    box.stop()                   # stops the server, removes the temporary folder

Nothing reaches AWS and your ~/.attini is not touched. To use real AWS instead, skip this and keep your
usual credentials (and leave AWS_ENDPOINT_URL unset).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PLATFORM = EXAMPLES / "platform"
REGION = "eu-north-1"


class Sandbox:
    """What :func:`start` made: the server, its endpoint and the temporary folder (``home`` inside it)."""

    def __init__(self, server, endpoint: str, workdir: Path):
        self.server, self.endpoint, self.workdir = server, endpoint, workdir
        self.home = workdir / "attini-home"

    def database_path(self, environment: str) -> str:
        """Where the example database of ``environment`` keeps its SQLite file (inside the sandbox)."""
        return str(self.workdir / environment / "items.db")

    def broken_app(self) -> Path:
        """A copy of examples/platform/app as version 0.4.0 whose template names a resource that does not
        exist: its deployment fails."""
        copy = self.workdir / "app-0.4.0"
        shutil.copytree(PLATFORM / "app", copy, ignore=shutil.ignore_patterns("attini_dist"), dirs_exist_ok=True)
        config = copy / "attini-config.yaml"
        config.write_text(re.sub(r"(?m)^version: .*$", "version: 0.4.0", config.read_text()))
        template = copy / "app.yaml"
        line = "          LOG_LEVEL: !Ref LogLevel\n"
        template.write_text(template.read_text().replace(line, line + "          QUEUE_ARN: !GetAtt WorkQueu.Arn\n"))
        return copy

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"<Sandbox: AWS stand-in at {self.endpoint}, ATTINI_HOME={self.home}>"


def start() -> Sandbox:
    """Start a moto server on a free port of 127.0.0.1 and point boto3 and ATTINI_HOME into the sandbox."""
    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="attini-notebook-"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, ATTINI_HOME=str(workdir / "attini-home"))
    # moto runs no function code without Docker: Lambda invocations answer with their payload
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10)
    return Sandbox(server, endpoint, workdir)
