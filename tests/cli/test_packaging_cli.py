"""The CLI for packaging: package, inspect, diff, sign, key generate, config schema/show, configure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from attini_sdk.cli import main

from tests.trees import write_tree


def attini(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_package_prints_the_id_and_json_has_every_field(capsys, project, tmp_path):
    code, out, _ = attini(capsys, "distribution", "package", str(project), "-o", str(tmp_path / "o"))
    assert code == 0 and "Packaged network 1.0.0" in out and "sha256:" in out

    code, out, _ = attini(capsys, "distribution", "package", str(project), "-v", "1.2.0",
                          "-o", str(tmp_path / "o"), "--json")
    info = json.loads(out)
    assert code == 0
    assert info["name"] == "network" and info["version"] == "1.2.0"
    assert info["id"].startswith("sha256:") and info["path"] == str(tmp_path / "o" / "network.zip")


def test_inspect_and_diff_show_what_the_artifact_holds(capsys, project, tmp_path):
    attini(capsys, "distribution", "package", str(project), "-o", str(tmp_path / "a"))
    write_tree(project, {"extra.txt": "x"})
    attini(capsys, "distribution", "package", str(project), "-o", str(tmp_path / "b"))
    a, b = tmp_path / "a" / "network.zip", tmp_path / "b" / "network.zip"

    code, out, _ = attini(capsys, "distribution", "inspect", str(a), "--files")
    assert code == 0 and "network 1.0.0" in out and "verified" in out and "scripts/deploy.sh" in out
    code, out, _ = attini(capsys, "distribution", "inspect", str(a), "--json")
    assert json.loads(out)["manifest"]["distributionName"] == "network"

    code, out, _ = attini(capsys, "distribution", "diff", str(a), str(b), "--json")
    changes = json.loads(out)["changes"]
    assert code == 0 and changes == [{"kind": "file", "name": "extra.txt", "change": "added", "old": None,
                                      "new": changes[0]["new"]}]
    code, out, _ = attini(capsys, "distribution", "diff", str(a), str(b))
    assert "extra.txt" in out and "added" in out


def test_key_generate_sign_and_inspect_with_a_trusted_key(capsys, project, tmp_path):
    key = tmp_path / "k.pem"
    code, out, _ = attini(capsys, "key", "generate", "-o", str(key), "--json")
    assert code == 0 and json.loads(out)["key_id"].startswith("ed25519:")
    attini(capsys, "distribution", "package", str(project), "-o", str(tmp_path / "o"))
    zip_path = str(tmp_path / "o" / "network.zip")

    code, out, _ = attini(capsys, "distribution", "inspect", zip_path, "--require-signature",
                          "--trusted-key", f"{key}.pub")
    assert code == 1
    code, out, _ = attini(capsys, "distribution", "sign", zip_path, "--key", str(key))
    assert code == 0 and "Signed" in out
    code, out, _ = attini(capsys, "distribution", "inspect", zip_path, "--require-signature",
                          "--trusted-key", f"{key}.pub")
    assert code == 0 and "trusted" in out
    code, _, err = attini(capsys, "key", "generate", "-o", str(key))
    assert code == 1 and "already exists" in err


def test_user_errors_exit_1_with_one_message_and_no_traceback(capsys, tmp_path):
    write_tree(tmp_path / "bad", {"attini-config.yaml": "distributionName: 1bad\nversion: 1.0.0\n"})

    code, out, err = attini(capsys, "distribution", "package", str(tmp_path / "bad"))
    assert code == 1
    assert "distributionName: '1bad' is not a valid distribution name" in err and "Traceback" not in err

    code, out, err = attini(capsys, "distribution", "package", str(tmp_path / "bad"), "--json")
    assert code == 1 and json.loads(out)["error"] == "ConfigError"

    code, out, err = attini(capsys, "distribution", "inspect", str(tmp_path / "missing.zip"))
    assert code == 1 and "file not found" in err


def test_unknown_keys_warn_on_stderr_and_strict_fails(capsys, project, tmp_path):
    write_tree(project, {"attini-config.yaml": (project / "attini-config.yaml").read_text() + "plann: x\n"})

    code, _, err = attini(capsys, "distribution", "package", str(project), "-o", str(tmp_path / "o"))
    assert code == 0 and "Warning:" in err and "did you mean 'plan'?" in err
    code, _, err = attini(capsys, "distribution", "package", str(project), "--strict")
    assert code == 1 and "unknown key 'plann'" in err


def test_config_schema_and_show(capsys, project):
    code, out, _ = attini(capsys, "config", "schema")
    assert code == 0 and json.loads(out)["title"] == "attini-config"

    code, out, _ = attini(capsys, "config", "show", str(project), "-e", "prod", "--json")
    data = json.loads(out)
    assert data["initDeployConfig"]["stackName"] == "prod-network"
    assert data["resolved"]["parameters"] == {"CidrBlock": "10.1.0.0/16"}
    code, out, _ = attini(capsys, "config", "show", str(project))
    assert yaml.safe_load(out)["distributionName"] == "network"


def test_configure_commands_edit_the_config_as_attini_does(capsys, project, tmp_path):
    path = str(project)
    assert attini(capsys, "configure", "set-dist-id", "--random", "--path", path)[0] == 0
    attini(capsys, "configure", "set-init-deploy-parameter", "--key", "CidrBlock", "--value", "x", "--path", path)
    attini(capsys, "configure", "set-init-deploy-parameter", "--key", "New", "--value", "1", "-e", "dev",
           "--path", path)
    attini(capsys, "configure", "set-init-deploy-tag", "--key", "Owner", "--value", "me", "--override",
           "--path", path)
    stack = write_tree(tmp_path, {"stack.yaml": "template: /t.yaml\nparameters: {A: old}\n"}) / "stack.yaml"
    code, out, _ = attini(capsys, "configure", "set-parameter", str(stack), "--key", "A", "--value", "new",
                          "--override", "--json")
    attini(capsys, "configure", "set-tag", str(stack), "--key", "T", "--value", "v")

    config = yaml.safe_load((project / "attini-config.yaml").read_text())
    params = config["initDeployConfig"]["parameters"]
    assert params["default"]["CidrBlock"] == "10.0.0.0/16"  # kept: no --override
    assert params["dev"] == {"New": "1"}
    assert config["initDeployConfig"]["tags"]["default"] == {"Owner": "me"}
    assert json.loads(out) == {"changed": True, "what": f"{stack}: parameters.A"}
    assert yaml.safe_load(stack.read_text()) == {"template": "/t.yaml", "parameters": {"A": "new"}, "tags": {"T": "v"}}


def test_the_installed_command_runs_as_a_subprocess(project, tmp_path):
    result = subprocess.run([sys.executable, "-m", "attini_sdk", "distribution", "package", str(project),
                             "-o", str(tmp_path / "o"), "--json"], capture_output=True, text=True,
                            env={"ATTINI_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "network"


@pytest.mark.parametrize("group", ["distribution", "key", "config", "configure"])
def test_every_group_has_help(capsys, group):
    code, out, _ = attini(capsys, group, "--help")
    assert code == 0 and "Usage" in out
