"""The JSON Schema of attini-config, for editors (``attini config schema`` prints it).

Point your editor at it, e.g. with the YAML language server::

    # yaml-language-server: $schema=./attini-config.schema.json

    >>> schema = config_schema()
    >>> sorted(schema["properties"])[:3]
    ['appConfig', 'appDeploymentPlan', 'dependencies']
"""

from __future__ import annotations

from typing import Any

from attini_sdk.config.load import ENVIRONMENT_PATTERN, NAME_PATTERN

__all__ = ["config_schema"]

_SEMVER = (r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
           r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
           r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_SCALAR = {"type": ["string", "number", "boolean"]}


def _per_environment(value: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description + " 'default' applies everywhere; an environment's section is merged over it.",
        "propertyNames": {"anyOf": [{"const": "default"}, {"pattern": ENVIRONMENT_PATTERN}]},
        "additionalProperties": {"type": ["object", "null"], "additionalProperties": value},
    }


def _commands(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, "additionalProperties": False,
            "properties": {"commands": {"type": "array", "items": {"type": "string"},
                                        "description": "Shell commands, run as one script with 'set -e'."}}}


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``attini-config.yaml|yml|json``."""
    parameter = {"anyOf": [_SCALAR, {
        "type": "object", "description": "A value read from a dependency's outputs.",
        "required": ["sourceType", "source"], "additionalProperties": False,
        "properties": {"sourceType": {"const": "Distribution"}, "source": {
            "type": "object", "required": ["name", "mapping"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "pattern": NAME_PATTERN},
                           "mapping": {"type": "string", "pattern": r"^\$"}}}}}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://attini-sdk.invalid/schemas/attini-config.json",
        "title": "attini-config",
        "description": "The configuration at the root of an Attini distribution. ${environment}, "
                       "${distributionName} and ${distributionId} are substituted in every string.",
        "type": "object",
        "required": ["distributionName"],
        "properties": {
            "distributionName": {"type": "string", "pattern": NAME_PATTERN,
                                 "description": "A letter, then letters, digits or '-'; at most 128 characters."},
            "version": {"type": "string", "pattern": _SEMVER,
                        "description": "Optional semantic version, e.g. 1.4.0; without one, the distribution "
                                       "id alone identifies what is deployed."},
            "distributionId": {"type": "string",
                               "description": "Ignored: the id is the sha256 digest of the packaged content."},
            "distributionTags": {"type": "object", "additionalProperties": _SCALAR,
                                 "description": "Free-form tags recorded with every deployment."},
            "distributionType": {"enum": ["platform", "app"], "default": "platform",
                                 "description": "'app' is accepted but not honoured yet."},
            "appDeploymentPlan": {"type": "string", "description": "Accepted but not honoured yet."},
            "appConfig": _per_environment({}, "Accepted but not honoured yet."),
            "dependencies": {
                "type": "array", "description": "Distributions that must be deployed first in the same environment.",
                "items": {"type": "object", "required": ["distributionName"], "additionalProperties": False,
                          "properties": {"distributionName": {"type": "string", "pattern": NAME_PATTERN},
                                         "version": {"type": "string", "default": "*",
                                                     "description": "npm-style range, e.g. '>=1.0.0' or '^1.2'."}}},
            },
            "initDeployConfig": {
                "type": "object", "additionalProperties": False,
                "description": "The init deploy stack (Attini YAML plans) and its per-environment values.",
                "properties": {
                    "template": {"type": "string", "description": "Path of the init template in the distribution."},
                    "stackName": {"type": "string", "description": "e.g. ${environment}-${distributionName}-plan"},
                    "forceUpdate": {"type": "boolean", "default": False},
                    "parameters": _per_environment(parameter, "Stack parameters."),
                    "tags": _per_environment(_SCALAR, "Stack tags."),
                    "variables": _per_environment(_SCALAR, "Variables for ${var} in AttiniCfn config files."),
                },
            },
            "package": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "container": {"type": "object", "description": "Not supported: commands run on this machine.",
                                  "properties": {"image": {"type": "string"},
                                                 "loginCommands": {"type": "array", "items": {"type": "string"}},
                                                 "options": {"type": "array", "items": {"type": "string"}}}},
                    "prePackage": _commands("Run in a temporary copy before zipping; $ATTINI_WORK_DIR is the copy."),
                    "postPackage": _commands("Run in the copy after zipping; $ATTINI_DIST_FILE is the zip."),
                },
            },
            "plan": {"type": "string", "description": "Path of the deployment plan (attini_sdk addition)."},
        },
        "additionalProperties": True,
    }
