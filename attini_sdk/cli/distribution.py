"""``attini distribution package|inspect|diff|sign``: make, check and compare artifacts."""

from pathlib import Path
from typing import Optional

import typer

from attini_sdk.cli import output, tables

app = typer.Typer(help="Package distributions and inspect, compare and sign artifacts.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def register(root: typer.Typer) -> None:
    """Attach ``attini distribution`` (alias ``dist``) to the root app."""
    root.add_typer(app, name="distribution")
    root.add_typer(app, name="dist", hidden=True)


def _summary(artifact) -> dict:
    m = artifact.manifest
    return {"name": artifact.name, "version": artifact.version, "id": artifact.id, "path": str(artifact.path),
            "files": len(m.files), "size": m.total_size, "plan": m.plan,
            "dependencies": [dict(d) for d in m.dependencies], "tags": dict(m.distribution_tags)}


@app.command()
def package(
    path: Path = typer.Argument(..., help="The distribution folder (holding attini-config.yaml)."),
    version: Optional[str] = typer.Option(None, "-v", "--distribution-version", "--version",
                                          help="Version to package, setting or overriding attini-config's "
                                               "(optional there)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out-dir", help="Where to write <name>.zip (default: PATH/attini_dist)."),
    skip_commands: bool = typer.Option(False, "--skip-commands", help="Do not run prePackage/postPackage commands."),
    strict: bool = typer.Option(False, "--strict", help="Treat unknown attini-config keys as errors."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore the repackage cache."),
    json: bool = JSON,
) -> None:
    """Package a distribution folder into a deterministic zip and print its id."""
    from attini_sdk.artifacts.distribution import Distribution

    output.state.json = json
    with output.show_warnings():
        artifact = Distribution.from_path(path, version=version, strict=strict).package(
            out, skip_commands=skip_commands, cache=not no_cache)
    info = _summary(artifact)
    if json:
        output.emit_json(info)
        return
    output.console().print(f"Packaged [bold]{info['name']}[/bold]{tables.version_suffix(info['version'])}: "
                           f"{info['files']} files, "
                           f"{info['size']:,} bytes\n  id   {info['id']}\n  file {info['path']}")


@app.command()
def inspect(
    zip_path: Path = typer.Argument(..., metavar="ZIP", help="The artifact (.zip) to inspect."),
    trusted_key: list[Path] = typer.Option([], "--trusted-key", "-k", help="Public key file to check the signature with (repeatable)."),
    require_signature: bool = typer.Option(False, "--require-signature", help="Fail if the artifact is not signed by a trusted key."),
    files: bool = typer.Option(False, "--files", help="List every file."),
    json: bool = JSON,
) -> None:
    """Verify an artifact and show what it holds."""
    from attini_sdk.artifacts.artifact import Artifact

    output.state.json = json
    artifact = Artifact.open(zip_path, trusted_keys=trusted_key or None, require_signature=require_signature)
    signature = dict(artifact.signature) if artifact.signature else None
    if json:
        output.emit_json({"id": artifact.id, "path": str(artifact.path), "manifest": artifact.manifest.to_data(),
                          "signature": signature, "signature_trusted": bool(trusted_key) and signature is not None})
        return
    info = _summary(artifact)
    console = output.console()
    console.print(f"[bold]{info['name']}[/bold]{tables.version_suffix(info['version'])}  (verified)\n"
                  f"  id    {info['id']}\n"
                  f"  files {info['files']}, {info['size']:,} bytes\n  plan  {info['plan'] or '-'}")
    for dep in info["dependencies"]:
        console.print(f"  needs {dep['distributionName']} {dep['version']}")
    for key, value in info["tags"].items():
        console.print(f"  tag   {key}={value}")
    if signature:
        state = "trusted" if trusted_key else "not checked (give --trusted-key)"
        console.print(f"  signed by {signature['keyId']}: {state}")
    if files:
        _print_table(artifact.files, ["path", "size", "mode", "compression"])


def _print_table(frame, columns: list[str]) -> None:
    from rich.table import Table

    table = Table(*columns)
    for row in frame[columns].itertuples(index=False):
        table.add_row(*("" if v is None else str(v) for v in row))
    output.console().print(table)


@app.command()
def diff(
    old: Path = typer.Argument(..., help="The earlier artifact."),
    new: Path = typer.Argument(..., help="The later artifact."),
    json: bool = JSON,
) -> None:
    """Show files, config and plan that differ between two artifacts."""
    from attini_sdk.artifacts.artifact import Artifact

    output.state.json = json
    a, b = Artifact.open(old), Artifact.open(new)
    frame = a.diff(b)
    if json:
        output.emit_json({"old": a.id, "new": b.id, "changes": frame.astype(object).where(frame.notna(), None)
                          .to_dict(orient="records")})
        return
    if frame.empty:
        output.console().print(f"No differences ({a.id == b.id and 'same id' or 'same content'}).")
        return
    _print_table(frame.astype(object).fillna(""), ["kind", "name", "change", "old", "new"])


@app.command()
def sign(
    zip_path: Path = typer.Argument(..., metavar="ZIP", help="The artifact (.zip) to sign."),
    key: Path = typer.Option(..., "--key", "-k", help="Private key file (from 'attini key generate')."),
    json: bool = JSON,
) -> None:
    """Add an ed25519 signature to an artifact; its id does not change."""
    from attini_sdk.artifacts.artifact import Artifact

    output.state.json = json
    artifact = Artifact.open(zip_path).sign(key)
    info = {"id": artifact.id, "path": str(artifact.path), "key_id": artifact.signature["keyId"]}
    if json:
        output.emit_json(info)
    else:
        output.console().print(f"Signed {info['path']} with {info['key_id']}\n  id {info['id']}")
