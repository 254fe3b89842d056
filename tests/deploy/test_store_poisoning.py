"""A copy re-signed by an untrusted key never blocks the genuine signed release (issue 15 point 2).

The artifact store is shared by every environment of an ATTINI_HOME and a signature is not part of the content
id. Both orders end with the genuine artifact deployed in prod; a refused deploy leaves the store unchanged;
promotion by id picks the signature the target trusts; resume checks the signature policy again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.artifacts.signing import generate_key

from .conftest import one_step, runner_step

OK = one_step("Hello", runner_step("Hello", ['echo \'{"hello": true}\' > "$ATTINI_OUTPUT"']))
DEPLOYER = str(Path(__file__).with_name("deployer.py"))


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "attini-home"
    monkeypatch.setenv("ATTINI_HOME", str(path))
    return path


@pytest.fixture
def keys():
    return generate_key(), generate_key()


@pytest.fixture
def copies(project, tmp_path, keys) -> tuple[at.Artifact, at.Artifact]:
    """The genuine release signed by the trusted key, and the same content re-signed by an untrusted key."""
    genuine_key, rogue_key = keys
    built = project("app").package(OK)
    genuine_path, rogue_path = tmp_path / "genuine.zip", tmp_path / "rogue.zip"
    shutil.copy(built.path, genuine_path)
    shutil.copy(built.path, rogue_path)
    genuine = at.Artifact.open(genuine_path).sign(genuine_key)
    rogue = at.Artifact.open(rogue_path).sign(rogue_key)
    assert genuine.id == rogue.id  # a signature is not part of the id
    return genuine, rogue


def _envs(keys):
    trusted = keys[0].public_key.to_pem().decode()
    dev = at.Environment.create("dev")  # no signature policy
    prod = at.Environment.create("prod", type="production", require_signature=True, trusted_keys=[trusted])
    return dev, prod


def _store(home: Path) -> dict[str, bytes]:
    root = home / "artifacts"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} \
        if root.is_dir() else {}


def test_an_untrusted_copy_stored_first_by_dev_does_not_block_the_genuine_release_in_prod(home, keys, copies):
    dev, prod = _envs(keys)
    genuine, rogue = copies

    assert dev.deploy(rogue).status == "succeeded"  # dev has no policy: the re-signed copy is stored first
    deployed = prod.deploy(genuine)

    assert deployed.status == "succeeded"
    assert prod.current("app").signature["publicKey"] == genuine.signature["publicKey"]
    # promotion by id from dev picks the signature prod trusts, whichever copy dev deployed
    assert prod.deploy(dev.current("app").id).status == "succeeded"
    assert prod.deploy(dev.current("app")).status == "succeeded"
    assert len(list((home / "artifacts").glob("*.sig/*.json"))) == 2


def test_a_refused_untrusted_copy_leaves_the_store_unchanged_and_the_genuine_release_deploys(home, keys, copies):
    dev, prod = _envs(keys)
    genuine, rogue = copies
    before = _store(home)

    with pytest.raises(at.SignatureError, match="not a trusted key"):
        prod.deploy(rogue)

    assert _store(home) == before
    assert prod.history().empty
    assert prod.deploy(genuine).status == "succeeded"
    assert dev.deploy(rogue).status == "succeeded"  # dev still takes it
    assert prod.deploy(genuine.id).status == "succeeded"  # and prod still finds the genuine signature


def test_promotion_by_id_is_refused_when_no_kept_signature_is_trusted(home, keys, copies):
    dev, prod = _envs(keys)
    _, rogue = copies
    dev.deploy(rogue)
    before = _store(home)

    with pytest.raises(at.SignatureError, match="not a trusted key"):
        prod.deploy(dev.current("app"))

    assert _store(home) == before


def _until(condition, what: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the deployer exited ({proc.returncode}) before {what}: {proc.stderr.read()!r}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_resume_checks_the_signature_policy_again(home, project, keys, tmp_path):
    marker, pidfile = tmp_path / "started", tmp_path / "job.pid"
    plan = one_step("Job", runner_step("Job", [
        f'if [ -f {marker} ]; then echo \'{{"second": true}}\' > "$ATTINI_OUTPUT"; exit 0; fi',
        f"echo $$ > {pidfile}", f"touch {marker}", "sleep 120"]))
    env = at.Environment.create("acc")
    unsigned = project("jobs").package(plan)
    proc = subprocess.Popen([sys.executable, DEPLOYER, "deploy", "acc", str(unsigned.path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job runs", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    try:
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    except ProcessLookupError:
        pass
    # the environment starts requiring signatures while the unsigned deployment is interrupted
    env = at.Environment.create("acc", require_signature=True, trusted_keys=[keys[0].public_key.to_pem().decode()])

    with pytest.raises(at.SignatureError, match="cannot continue: the artifact is not signed") as refused:
        env.resume("jobs")

    assert "deploy a signed artifact" in refused.value.hint
    assert env.latest("jobs").status == "interrupted"
    signed = at.Artifact.open(shutil.copy(unsigned.path, tmp_path / "signed.zip")).sign(keys[0])
    assert env.deploy(signed).status == "succeeded"
