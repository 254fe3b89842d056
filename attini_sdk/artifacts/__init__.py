"""Artifacts: from a distribution folder to an immutable, verified zip, and back.

    selection     which files go in (``.attini-ignore``, defaults), refusing links and odd names
    hooks         ``package.prePackage``/``postPackage`` commands, run in a copy of the source
    archive       our zip writer: sorted entries, fixed times, normalised modes, zip64
    zip_build     the deterministic zip of a file list, with the repackage cache
    manifest      ``attini_data/manifest.json``; canonical JSON; the distribution id
    signing       ed25519 keys and ``attini_data/signature.json``
    distribution  :class:`~attini_sdk.artifacts.distribution.Distribution`: a folder (or Python) packaged
    artifact      :class:`~attini_sdk.artifacts.artifact.Artifact` and :class:`~attini_sdk.artifacts.artifact.Limits`
    verify        opening an artifact: every digest checked, extraction that refuses zip tricks
    diff          what changed between two artifacts

The public names are re-exported by :mod:`attini_sdk` (``at.Distribution``, ``at.Artifact``, ...).
This package comes after ``config`` and before ``steps`` in the chain (docs/internals.md).
"""
