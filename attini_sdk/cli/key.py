"""``attini key generate``: make an ed25519 key pair for signing artifacts."""

from pathlib import Path

import typer

from attini_sdk.cli import output

app = typer.Typer(help="Manage keys for signing artifacts.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Attach ``attini key`` to the root app."""
    root.add_typer(app, name="key")


@app.command()
def generate(
    out: Path = typer.Option(Path("attini-signing-key.pem"), "-o", "--out",
                             help="Private key file to write (mode 0600); the public key goes to OUT.pub."),
    json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Generate an ed25519 signing key and its public key."""
    from attini_sdk.artifacts.signing import generate_key
    from attini_sdk.errors import SignatureError

    output.state.json = json
    if out.exists() or Path(f"{out}.pub").exists():
        raise SignatureError(f"'{out}' or '{out}.pub' already exists", where=str(out),
                             hint="choose another path with -o, or move the old key away")
    key = generate_key()
    key.save(out)
    info = {"key_id": key.public_key.key_id, "private_key": str(out), "public_key": f"{out}.pub"}
    if json:
        output.emit_json(info)
    else:
        output.console().print(f"Key {info['key_id']}\n  private {info['private_key']} (keep it secret)\n"
                               f"  public  {info['public_key']} (give it to whoever verifies)")
