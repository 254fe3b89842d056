"""Signing: a signature travels inside the artifact without changing its id."""

from __future__ import annotations

import zipfile

import pytest

import attini_sdk as at
from attini_sdk.artifacts.signing import PublicKey, SigningKey
from attini_sdk.errors import SignatureError


@pytest.fixture
def artifact(project, tmp_path):
    return at.Distribution.from_path(project).package(tmp_path / "out")


def test_signing_adds_signature_json_and_keeps_the_id(artifact):
    key = at.generate_key()
    unsigned_id = artifact.id

    signed = artifact.sign(key)

    assert signed.id == unsigned_id
    with zipfile.ZipFile(signed.path) as zf:
        assert zf.namelist()[-1] == "attini_data/signature.json"
    opened = at.Artifact.open(signed.path, trusted_keys=[key.public_key], require_signature=True)
    assert opened.id == unsigned_id
    assert opened.signature["keyId"] == key.public_key.key_id
    assert opened.verify_signature([key.public_key]) == key.public_key


def test_unsigned_artifacts_are_rejected_when_a_signature_is_required(artifact):
    with pytest.raises(SignatureError, match="not signed"):
        at.Artifact.open(artifact.path, trusted_keys=[at.generate_key().public_key], require_signature=True)
    assert at.Artifact.open(artifact.path, trusted_keys=[]).signature is None


def test_a_signature_by_an_untrusted_key_is_rejected(artifact):
    artifact.sign(at.generate_key())

    with pytest.raises(SignatureError, match="not a trusted key"):
        at.Artifact.open(artifact.path, trusted_keys=[at.generate_key().public_key])


def test_a_signature_copied_from_another_artifact_is_rejected(artifact, project, tmp_path):
    key = at.generate_key()
    other = at.Distribution.from_path(project, version="9.9.9").package(tmp_path / "other").sign(key)
    signature = other.read_bytes("attini_data/signature.json")
    from attini_sdk.artifacts.artifact import _rewrite_with

    _rewrite_with(artifact.path, "attini_data/signature.json", signature)

    with pytest.raises(SignatureError, match="not for this artifact"):
        at.Artifact.open(artifact.path, trusted_keys=[key])


def test_a_forged_signature_value_is_rejected(artifact):
    import base64
    import json

    from attini_sdk.artifacts.artifact import _rewrite_with

    key = at.generate_key()
    doc = dict(artifact.sign(key).signature)
    doc["signature"] = base64.b64encode(bytes(64)).decode()
    _rewrite_with(artifact.path, "attini_data/signature.json", json.dumps(doc).encode())

    with pytest.raises(SignatureError, match="does not match"):
        at.Artifact.open(artifact.path, trusted_keys=[key.public_key], require_signature=True)


def test_keys_round_trip_through_pem_files(tmp_path):
    key = at.generate_key()
    path = key.save(tmp_path / "signing.pem")

    assert (path.stat().st_mode & 0o777) == 0o600
    assert SigningKey.load(path) == key
    assert PublicKey.load(f"{path}.pub") == key.public_key
    assert PublicKey.load(path) == key.public_key  # the public half of a private key file
    with pytest.raises(SignatureError, match="not a PEM key"):
        PublicKey.from_pem("garbage")
    with pytest.raises(SignatureError, match="cannot read key file"):
        SigningKey.load(tmp_path / "missing.pem")
