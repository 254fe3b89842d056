"""Small pieces every resource module uses to hang its resources on the component.

``child`` gives the options every resource gets (parented to the component, so `pulumi up` shows one
tree and `pulumi destroy` of the component takes its children); ``pick`` reads one name or ARN out
of the ``Output[Names]`` the component resolves once; ``to_json`` renders a policy built from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi

from .naming import Names

__all__ = ["child", "pick", "to_json"]


def child(parent: pulumi.Resource, **options: Any) -> pulumi.ResourceOptions:
    """Options for a resource owned by ``parent`` (extra Pulumi options pass through)."""
    return pulumi.ResourceOptions(parent=parent, **options)


def pick(names: pulumi.Output[Names], field: Callable[[Names], Any]) -> pulumi.Output:
    """``field(names)`` once the account and region are known."""
    return names.apply(field)


def to_json(names: pulumi.Output[Names], build: Callable[[Names], dict]) -> pulumi.Output[str]:
    """A JSON document (a policy) built from the backend's names."""
    return names.apply(lambda n: json.dumps(build(n), sort_keys=True))
