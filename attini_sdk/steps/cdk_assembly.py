"""Read a CDK cloud assembly (``cdk.out/manifest.json``): its stacks, their dependencies and file assets.

A synthesised CDK app is a folder: ``manifest.json`` lists artifacts; a stack
(``aws:cloudformation:stack``) names its template file and the artifacts it depends on, an asset
manifest (``cdk:asset-manifest``) the files to publish and where its templates expect them::

    >>> import json, tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = (out / "manifest.json").write_text(json.dumps({"artifacts": {
    ...     "Db": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Db.template.json"}},
    ...     "Api": {"type": "aws:cloudformation:stack", "dependencies": ["Db"],
    ...             "properties": {"templateFile": "Api.template.json", "stackName": "dev-api"}}}}))
    >>> assembly = read_assembly(out)
    >>> [s.stack_name for s in assembly.in_order(assembly.select(["dev-api"]))]
    ['Db', 'dev-api']

Only what deploying needs is read: Docker image assets and nested assemblies (CDK stages) are
reported as unsupported rather than skipped silently.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import attrs

from attini_sdk.steps.base import StepFailed

__all__ = ["FileAsset", "CdkStack", "Assembly", "read_assembly"]

STACK = "aws:cloudformation:stack"
ASSET_MANIFEST = "cdk:asset-manifest"
NESTED = "cdk:cloud-assembly"


@attrs.frozen
class FileAsset:
    """One file asset: its source (a file or a folder to zip) and where templates expect it.

    ``bucket`` and ``key`` are the destination as the synthesiser wrote them (``bucket`` may hold
    ``${AWS::AccountId}``-style placeholders); the Cdk step puts the asset in the artifact store and
    points the template there instead.
    """

    id: str
    path: Path
    packaging: str
    bucket: str
    key: str


@attrs.frozen
class CdkStack:
    """One stack artifact of the assembly."""

    artifact_id: str
    stack_name: str
    template_file: Path
    dependencies: tuple[str, ...] = ()
    assets: tuple[FileAsset, ...] = ()
    parameters: dict = attrs.field(factory=dict)
    region: str | None = None
    """The region the app pinned the stack to (``env=``), None for an environment-agnostic stack."""


@attrs.frozen
class Assembly:
    """The stacks of a cloud assembly, by artifact id."""

    directory: Path
    stacks: dict[str, CdkStack]
    unsupported: tuple[str, ...] = ()

    def select(self, patterns: list[str] | None, *, step: str = "") -> list[CdkStack]:
        """The stacks matching ``patterns`` (artifact ids, stack names or globs; all when empty) and the
        stacks they depend on, as ``cdk deploy`` selects them."""
        if not patterns:
            chosen = set(self.stacks)
        else:
            chosen = set()
            for pattern in patterns:
                found = {a for a, s in self.stacks.items()
                         if fnmatch.fnmatchcase(a, pattern) or fnmatch.fnmatchcase(s.stack_name, pattern)}
                if not found:
                    raise StepFailed(f"no stack in the CDK app matches '{pattern}'", step=step,
                                     error="Cdk.ConfigError", cause=f"no stack matches {pattern}",
                                     where=f"step '{step}': Stacks",
                                     hint="the app's stacks are: " + ", ".join(sorted(
                                         s.stack_name for s in self.stacks.values())))
                chosen |= found
        pending = list(chosen)
        while pending:
            for dep in self.stacks[pending.pop()].dependencies:
                if dep in self.stacks and dep not in chosen:
                    chosen.add(dep)
                    pending.append(dep)
        return [s for a, s in self.stacks.items() if a in chosen]

    def in_order(self, stacks: list[CdkStack]) -> list[CdkStack]:
        """``stacks`` with every stack after the stacks it depends on."""
        return [s for wave in self.waves(stacks) for s in wave]

    def waves(self, stacks: list[CdkStack]) -> list[list[CdkStack]]:
        """``stacks`` in groups: each group's stacks depend only on earlier groups (so a group can deploy
        in parallel)."""
        left = {s.artifact_id: s for s in stacks}
        done: set[str] = set()
        waves = []
        while left:
            ready = [s for s in left.values() if all(d in done or d not in left for d in s.dependencies)]
            if not ready:
                raise StepFailed("the CDK app's stacks depend on each other in a cycle: " + ", ".join(left),
                                 error="Cdk.AssemblyError", cause="dependency cycle")
            waves.append(ready)
            for s in ready:
                done.add(s.artifact_id)
                del left[s.artifact_id]
        return waves


def _load(path: Path, step: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StepFailed(f"cannot read the cloud assembly file {path.name}: {exc}", step=step,
                         error="Cdk.AssemblyError", cause=str(exc), where=str(path),
                         hint="synthesise the app again (its output folder is incomplete)") from exc


def _file_assets(directory: Path, manifest_file: str, step: str) -> tuple[list[FileAsset], list[str]]:
    data = _load(directory / manifest_file, step)
    assets, unsupported = [], []
    for asset_id, asset in (data.get("files") or {}).items():
        source = asset.get("source") or {}
        if "path" not in source:
            unsupported.append(f"file asset {asset_id} built by a command (executable)")
            continue
        for destination in (asset.get("destinations") or {}).values():
            assets.append(FileAsset(id=asset_id, path=directory / source["path"],
                                    packaging=source.get("packaging", "file"),
                                    bucket=destination["bucketName"], key=destination["objectKey"]))
            break  # every destination holds the same bytes; templates name one bucket per environment
    for asset_id in data.get("dockerImages") or {}:
        unsupported.append(f"Docker image asset {asset_id}")
    return assets, unsupported


def _region(environment: str | None) -> str | None:
    """The region of ``aws://<account>/<region>``; None when the app left it open.

    >>> _region("aws://123456789012/eu-north-1"), _region("aws://unknown-account/unknown-region")
    ('eu-north-1', None)
    """
    region = (environment or "").rsplit("/", 1)[-1]
    return None if not region or region.startswith("unknown-") or "${" in region else region


def read_assembly(directory: str | Path, *, step: str = "") -> Assembly:
    """Read the cloud assembly in ``directory`` (the folder holding ``manifest.json``)."""
    directory = Path(directory)
    manifest = _load(directory / "manifest.json", step)
    artifacts = manifest.get("artifacts") or {}
    stacks: dict[str, CdkStack] = {}
    unsupported: list[str] = []
    asset_manifests = {a: v for a, v in artifacts.items() if v.get("type") == ASSET_MANIFEST}
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        if kind == NESTED:
            unsupported.append(f"nested assembly {artifact_id} (a CDK Stage)")
        if kind != STACK:
            continue
        props = artifact.get("properties") or {}
        deps = tuple(artifact.get("dependencies") or ())
        assets: list[FileAsset] = []
        template_file = directory / props["templateFile"]
        for dep in deps:
            if dep in asset_manifests:
                found, odd = _file_assets(directory, asset_manifests[dep]["properties"]["file"], step)
                # the template itself is an asset too (for `cdk deploy`); we deploy it ourselves
                assets.extend(a for a in found if a.path != template_file)
                unsupported.extend(f"{o} (stack {artifact_id})" for o in odd)
        stacks[artifact_id] = CdkStack(
            artifact_id=artifact_id,
            stack_name=props.get("stackName") or artifact_id,
            template_file=template_file,
            dependencies=tuple(d for d in deps if artifacts.get(d, {}).get("type") == STACK),
            assets=tuple(assets),
            parameters=dict(props.get("parameters") or {}),
            region=_region(artifact.get("environment")),
        )
    return Assembly(directory=directory, stacks=stacks, unsupported=tuple(unsupported))
