"""Build and package a SAM project for the Sam step: ``sam build`` when there is one, else our own builder.

Building, in order of preference:

1. the project's build dir (``.aws-sam/build/template.yaml``) when it is in the distribution (Attini's
   CLI runs ``sam build`` at package time; so may a ``prePackage`` command);
2. ``sam build`` (never ``--use-container``: no Docker) when the SAM CLI is on PATH (``pip install
   'attini-sdk[sam]'``);
3. our builder, for Python functions: each function's ``CodeUri`` folder is copied and its
   ``requirements.txt`` installed into the copy with pip (wheels for the function's runtime when
   pip finds them, else this interpreter's). Other runtimes' folders are copied as they are.

Packaging zips each function's (and layer's) folder, uploads it to the artifact store once (keys
are content hashes) and points ``CodeUri``/``ContentUri``/``DefinitionUri`` there, as ``sam package``::

    >>> code_locations({"Resources": {"Fn": {"Type": "AWS::Serverless::Function",
    ...                                       "Properties": {"CodeUri": "src/"}}}})
    [('Fn', 'CodeUri', 'src/')]
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from attini_sdk.home import cache_dir
from attini_sdk.steps.asset_store import AssetStore, file_sha256, zip_folder
from attini_sdk.steps.base import StepFailed, StepLog
from attini_sdk.steps.cdk_synth import source_digest
from attini_sdk.steps.cfn_template import parse_template

__all__ = ["build", "package", "code_locations"]

_ERROR = "Sam.BuildFailed"
_CODE = {  # resource type -> its property naming local code or a local definition file
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
    "AWS::Lambda::Function": "Code",
}


def _local(value) -> bool:
    return isinstance(value, str) and not value.startswith(("s3://", "https://", "http://"))


def code_locations(template: dict) -> list[tuple[str, str, str]]:
    """(logical id, property, local path) for every resource whose code or definition is a local path."""
    found = []
    glob = ((template.get("Globals") or {}).get("Function") or {})
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        field = _CODE.get(kind)
        if field is None:
            continue
        props = resource.get("Properties") or {}
        value = props.get(field)
        if kind == "AWS::Serverless::Function" and value is None and "InlineCode" not in props:
            value = glob.get("CodeUri")
        if _local(value):
            found.append((logical_id, field, value))
    return found


def _template_file(project: Path, name: str | None, step: str) -> Path:
    names = [name] if name else ["template.yaml", "template.yml", "template.json"]
    for candidate in names:
        if (project / candidate).is_file():
            return project / candidate
    raise StepFailed(f"the SAM project has no template {names[0]}", step=step, error="Sam.ConfigError",
                     cause=f"{project / names[0]} is missing", where=f"step '{step}': Project.Template",
                     hint="set Project.Template to the template's file name in Project.Path")


def build(project: Path, *, template: str | None, build_dir: str | None, step: str, log: StepLog) -> Path:
    """The built template (``template.yaml`` in a build folder whose paths are relative to it)."""
    prebuilt = project / (build_dir or ".aws-sam/build") / "template.yaml"
    if prebuilt.is_file():
        log.info(f"using the build in {prebuilt.parent.relative_to(project)}")
        return prebuilt
    source = _template_file(project, template, step)
    sam = shutil.which("sam")
    key_doc = {"source": source_digest(project), "template": source.name, "sam": bool(sam),
               "python": sys.version_info[:2]}
    key = hashlib.sha256(json.dumps(key_doc, sort_keys=True).encode()).hexdigest()[:32]
    target = cache_dir("sam-build") / key
    if (target / "template.yaml").is_file():
        log.info("the SAM project is unchanged since it was last built: using that build")
        return target / "template.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="attini-sam-", dir=target.parent) as scratch:
        out = Path(scratch) / "build"
        if sam:
            work = Path(scratch) / "project"
            shutil.copytree(project, work, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__"))
            _run([sam, "build", "--template-file", source.name, "--build-dir", str(out)], work, step=step, log=log)
        else:
            log.info("the SAM CLI is not installed: building Python functions without it "
                     "(pip install 'attini-sdk[sam]' for `sam build`)")
            _build_ourselves(source, out, step=step, log=log)
        try:
            out.rename(target)
        except OSError:
            if not (target / "template.yaml").is_file():
                raise
    return target / "template.yaml"


def _run(command: list[str], cwd: Path, *, step: str, log: StepLog) -> None:
    log.info("running " + " ".join(command))
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace")
    for line in done.stdout.splitlines():
        log.write(line)
    if done.returncode != 0:
        raise StepFailed(f"'{' '.join(command[:2])}' failed with exit code {done.returncode}", step=step,
                         error=_ERROR, cause="\n".join(done.stdout.splitlines()[-15:]) or str(done.returncode),
                         hint="read the step's log; run the same command in the project folder")


def _runtime(template: dict, props: dict) -> str:
    glob = ((template.get("Globals") or {}).get("Function") or {})
    return str(props.get("Runtime") or glob.get("Runtime") or "")


def _build_ourselves(source: Path, out: Path, *, step: str, log: StepLog) -> None:
    import yaml

    template = parse_template(source.read_bytes(), step=step, source=source.name)
    out.mkdir(parents=True)
    for logical_id, field, path in code_locations(template):
        origin = (source.parent / path).resolve()
        if not origin.exists():
            raise StepFailed(f"{logical_id}'s {field} '{path}' does not exist in the SAM project", step=step,
                             error="Sam.ConfigError", cause=f"{origin} is missing", where=source.name,
                             hint=f"fix {field} (it is relative to the template)")
        props = template["Resources"][logical_id].setdefault("Properties", {})
        if origin.is_file():
            shutil.copy2(origin, out / origin.name)
            props[field] = origin.name
            continue
        shutil.copytree(origin, out / logical_id, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        props[field] = logical_id
        runtime = _runtime(template, props)
        requirements = origin / "requirements.txt"
        if runtime.startswith("python") and requirements.is_file() and _lists_something(requirements):
            _pip_install(requirements, out / logical_id, runtime, step=step, log=log)
        elif (origin / "package.json").is_file():
            log.info(f"{logical_id}: copied as it is (npm dependencies are not installed without the SAM CLI)")
    (out / "template.yaml").write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    log.info(f"built {len(code_locations(template))} code folder(s) into the build dir")


def _lists_something(requirements: Path) -> bool:
    """True when the file names a requirement (not only comments and blank lines): pip costs seconds."""
    return any(line.split("#", 1)[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines())


def _pip_install(requirements: Path, target: Path, runtime: str, *, step: str, log: StepLog) -> None:
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "-r", str(requirements), "--target", str(target)]
    version = runtime.removeprefix("python")
    for_lambda = ["--platform", "manylinux2014_x86_64", "--only-binary=:all:", "--implementation", "cp",
                  "--python-version", version]
    log.info(f"installing {requirements.parent.name}/requirements.txt for {runtime}")
    first = subprocess.run(base + for_lambda, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if first.returncode == 0:
        return
    log.info("no wheels for the Lambda runtime for every requirement: installing for this interpreter")
    second = subprocess.run(base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if second.returncode != 0:
        for line in second.stdout.splitlines():
            log.write(line)
        raise StepFailed(f"pip could not install {requirements}", step=step, error=_ERROR,
                         cause="\n".join(second.stdout.splitlines()[-10:]),
                         hint="check the requirements' names and that the package registry is reachable")


def package(built: Path, store: AssetStore, *, log: StepLog, step: str) -> bytes:
    """The built template with every local code path replaced by its artifact store location."""
    import yaml

    template = parse_template(built.read_bytes(), step=step, source=built.name)
    for logical_id, field, path in code_locations(template):
        origin = (built.parent / path).resolve()
        if origin.is_dir():
            data, suffix = zip_folder(origin), ".zip"
        elif origin.is_file():
            data, suffix = origin.read_bytes(), "".join(origin.suffixes) or ".bin"
        else:
            raise StepFailed(f"{logical_id}'s {field} '{path}' is not in the build", step=step,
                             error="Sam.BuildFailed", cause=f"{origin} is missing", where=str(built),
                             hint="delete the build dir to build again")
        key = store.key("sam-assets", file_sha256(data) + suffix)
        if store.put(key, data):
            log.info(f"uploaded {logical_id}'s code to {store.url(key)}")
        props = template["Resources"][logical_id]["Properties"]
        if field == "Code":
            props[field] = {"S3Bucket": store.bucket, "S3Key": key}
        elif field == "DefinitionUri":
            props[field] = {"Bucket": store.bucket, "Key": key}
        else:
            props[field] = f"s3://{store.bucket}/{key}"
    return yaml.safe_dump(template, sort_keys=False).encode()
