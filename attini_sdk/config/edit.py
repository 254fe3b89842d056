"""Editing attini-config and stack config files, as Attini's ``attini configure`` commands do.

Existing Attini projects call these in their ``prePackage`` hooks, where they edit the temporary
work copy. A key that is already set is left alone unless ``override=True`` (Attini's rule)::

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "attini-config.yaml").write_text("distributionName: app\\nversion: 1.0.0\\n")
    >>> set_init_deploy_value(d, "parameters", "Size", "large", environment="prod")
    True
    >>> (d / "attini-config.yaml").read_text().splitlines()[-3:]
    ['  parameters:', '    prod:', '      Size: large']
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attini_sdk.config.load import find_config_file, read_config_data
from attini_sdk.errors import ConfigError

__all__ = ["set_init_deploy_value", "set_stack_config_value"]


def _load_mapping(file: Path) -> dict:
    data = read_config_data(file)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the file must hold a mapping of keys", where=str(file))
    return data


def _save(file: Path, data: dict) -> None:
    if file.suffix == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, file)


def _section(data: dict, keys: list[str], file: Path) -> dict:
    node = data
    for i, key in enumerate(keys):
        child = node.setdefault(key, {})
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            raise ConfigError("must be a mapping to add a value to it", where=f"{file}: {'.'.join(keys[:i + 1])}")
        node = child
    return node


def _set(node: dict, key: str, value: Any, override: bool) -> bool:
    if key in node and not override:
        return False
    node[key] = value
    return True


def set_init_deploy_value(path: str | os.PathLike, section: str, key: str, value: Any, *,
                          environment: str = "default", override: bool = False) -> bool:
    """Set ``initDeployConfig.<section>.<environment>.<key>`` in the attini-config at ``path`` (a
    folder or the file). ``section`` is ``parameters``, ``tags`` or ``variables``. Returns whether
    the file changed."""
    if section not in ("parameters", "tags", "variables"):
        raise ConfigError(f"unknown section '{section}'", hint="use parameters, tags or variables")
    path = Path(path)
    file = find_config_file(path) if path.is_dir() else path
    data = _load_mapping(file)
    changed = _set(_section(data, ["initDeployConfig", section, environment], file), key, value, override)
    if changed:
        _save(file, data)
    return changed


def set_stack_config_value(file: str | os.PathLike, section: str, key: str, value: Any, *,
                           override: bool = False) -> bool:
    """Set ``<section>.<key>`` (``parameters`` or ``tags``) in an AttiniCfn stack config file.
    Returns whether the file changed."""
    if section not in ("parameters", "tags"):
        raise ConfigError(f"unknown section '{section}'", hint="use parameters or tags")
    file = Path(file)
    if not file.is_file():
        raise ConfigError("stack config file not found", where=str(file), hint="check the path")
    data = _load_mapping(file)
    changed = _set(_section(data, [section], file), key, value, override)
    if changed:
        _save(file, data)
    return changed
