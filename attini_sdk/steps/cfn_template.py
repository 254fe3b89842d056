"""CloudFormation templates for the Cfn step: fetch, parse (short tags too), translate SAM.

A template is named by a ``/path`` in the distribution, an ``s3://bucket/key`` or an
``https://`` URL. We always read its body, because we need its declared parameters (to drop
the ones it does not declare) and whether it uses the SAM transform::

    >>> tpl = parse_template(b"Parameters: {Env: {Type: String}}\\nResources:\\n  B:\\n    Type: AWS::S3::Bucket\\n    Properties: {BucketName: !Sub '${Env}-b'}\\n")
    >>> list(declared_parameters(tpl)), tpl["Resources"]["B"]["Properties"]["BucketName"]
    (['Env'], {'Fn::Sub': '${Env}-b'})
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import attrs

from attini_sdk.steps.base import AwsSettings, StepFailed
from attini_sdk.steps.cfn_config import read_distribution_file

__all__ = [
    "Template",
    "load_template",
    "parse_template",
    "declared_parameters",
    "template_digest",
    "uses_sam",
    "translate_sam",
    "SAM_TRANSFORM",
    "MAX_BODY_BYTES",
]

TEMPLATE_ERROR = "Cfn.TemplateError"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
MAX_BODY_BYTES = 51_200  # CloudFormation's limit for TemplateBody
_SAM_LOCK = threading.Lock()  # samtranslator keeps the region in a class attribute


@attrs.frozen
class Template:
    """A fetched template: where it came from, its bytes and its parsed form.

    >>> Template(source="/t.yaml", body=b"{}", parsed={}).sha256[:12]
    '44136fa355b3'
    """

    source: str
    body: bytes
    parsed: dict
    url: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def _fail(what: str, *, step: str, where: str | None = None, hint: str | None = None) -> StepFailed:
    return StepFailed(what, step=step, error=TEMPLATE_ERROR, cause=what, where=where, hint=hint)


@functools.cache
def _cfn_loader():
    """The loader class, built once; on libyaml's parser when PyYAML has it (a 50-stack plan reads 50 templates
    for its fingerprints alone: the pure-Python parser was most of a no-op redeploy's time)."""
    import yaml

    class CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """YAML with CloudFormation's short-form intrinsic tags (``!Ref``, ``!Sub``, ...)."""

    def short_form(loader, tag_suffix, node):
        name = tag_suffix.lstrip("!")
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if name == "Ref":
            return {"Ref": value}
        if name == "Condition":
            return {"Condition": value}
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    def as_text(loader, node):
        return loader.construct_scalar(node)

    CfnLoader.add_multi_constructor("!", short_form)
    # CloudFormation reads 2010-09-09 as text, not as a date.
    CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", as_text)
    return CfnLoader


def parse_template(body: bytes, *, step: str = "", source: str = "template") -> dict:
    """Parse a JSON or YAML CloudFormation template into plain data (``!Ref x`` → ``{"Ref": "x"}``).

    >>> parse_template(b'{"Resources": {}}')
    {'Resources': {}}
    """
    import yaml

    text = body.decode("utf-8-sig")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_cfn_loader())
    except (ValueError, yaml.YAMLError) as exc:
        raise _fail(f"template cannot be parsed: {exc}", step=step, where=source,
                    hint="fix the template's JSON/YAML syntax") from exc
    if not isinstance(data, dict):
        raise _fail("template is not a mapping", step=step, where=source)
    return data


_DECLARED: dict[str, frozenset[str]] = {}  # template sha256 -> the parameter names it declares


def template_digest(location: str, *, source_dir: Path, aws: AwsSettings, step: str) -> tuple[str, frozenset[str]]:
    """A template's sha256 and the names of the parameters it declares: what a fingerprint needs of it.

    The names are kept by content (in this process, and in ``$ATTINI_HOME/cache/cfn-parameters``), so a no-op
    redeploy of a 50-stack plan reads each template's bytes but parses none of them, and never loads YAML;
    a template that cannot be parsed fails as :func:`load_template` fails.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "t.yaml").write_text("Parameters: {A: {Type: String}}")
    >>> sha, names = template_digest("/t.yaml", source_dir=d, aws=AwsSettings(region="eu-west-1"), step="S")
    >>> sorted(names), sha == hashlib.sha256(b"Parameters: {A: {Type: String}}").hexdigest()
    (['A'], True)
    """
    if "://" in location:  # s3://, https:// (and the error for anything else) as load_template has them
        template = load_template(location, source_dir=source_dir, aws=aws, step=step)
        return template.sha256, frozenset(declared_parameters(template.parsed))
    body = read_distribution_file(source_dir, location, step=step, what="template")
    sha256 = hashlib.sha256(body).hexdigest()
    names = _DECLARED.get(sha256)
    if names is None:
        names = _cached_names(sha256)
        if names is None:
            names = frozenset(declared_parameters(parse_template(body, step=step, source=location)))
            _cache_names(sha256, names)
        _DECLARED[sha256] = names
    return sha256, names


def _names_file(sha256: str) -> Path:
    from attini_sdk.home import cache_dir

    return cache_dir("cfn-parameters") / f"{sha256}.json"


def _cached_names(sha256: str) -> frozenset[str] | None:
    try:
        names = json.loads(_names_file(sha256).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return frozenset(names) if isinstance(names, list) and all(isinstance(n, str) for n in names) else None


def _cache_names(sha256: str, names: frozenset[str]) -> None:
    """Best effort: a cache that cannot be written only means parsing again next time."""
    import os

    from attini_sdk.home import owner_only

    path = _names_file(sha256)
    try:
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with owner_only():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(sorted(names)), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass


def declared_parameters(template: dict) -> dict[str, dict]:
    """The parameters a template declares, name -> declaration.

    >>> list(declared_parameters({"Parameters": {"A": {}, "B": {"Default": 1}}}))
    ['A', 'B']
    """
    return dict(template.get("Parameters") or {})


def uses_sam(template: dict) -> bool:
    """True when the template asks for the ``AWS::Serverless-2016-10-31`` transform.

    >>> uses_sam({"Transform": ["AWS::Serverless-2016-10-31"]})
    True
    """
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def _s3_location(url: str) -> tuple[str, str] | None:
    """(bucket, key) for s3:// and S3-style https:// URLs, else None."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "s3":
        return parsed.netloc, parsed.path.lstrip("/")
    host = parsed.netloc
    if parsed.scheme != "https":
        return None
    if host.startswith(("s3.", "s3-")):  # path style: https://s3.<region>.amazonaws.com/bucket/key
        bucket, _, key = parsed.path.lstrip("/").partition("/")
        return bucket, key
    if ".s3." in host or ".s3-" in host:  # virtual-hosted style: https://bucket.s3.<region>...
        return host.split(".s3.")[0].split(".s3-")[0], parsed.path.lstrip("/")
    return None


def load_template(location: str, *, source_dir: Path, aws: AwsSettings, step: str,
                  session=None) -> Template:
    """Fetch a template from the distribution, S3 (with our credentials) or a public URL.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "t.yaml").write_text("Resources: {}")
    >>> load_template("/t.yaml", source_dir=d, aws=AwsSettings(region="eu-west-1"), step="S").parsed
    {'Resources': {}}
    """
    url = None
    if location.startswith(("s3://", "https://")):
        body = _fetch_remote(location, aws=aws, step=step, session=session)
        url = location
    elif "://" in location:
        raise _fail(
            f"template '{location}' is not a distribution path, s3:// or https:// location",
            step=step,
            hint="write distribution files as paths from its root, e.g. 'cfn/app.yaml' or '/cfn/app.yaml'",
        )
    else:
        body = read_distribution_file(source_dir, location, step=step, what="template")
    return Template(source=location, body=body, parsed=parse_template(body, step=step, source=location), url=url)


def _fetch_remote(url: str, *, aws: AwsSettings, step: str, session=None) -> bytes:
    import urllib.request  # here: it loads ssl and http.client, which local templates never need

    from botocore.exceptions import BotoCoreError, ClientError

    s3 = _s3_location(url)
    try:
        if s3 is not None:
            bucket, key = s3
            return aws.client("s3", session=session).get_object(Bucket=bucket, Key=key)["Body"].read()
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (https only)
            return response.read()
    except (ClientError, BotoCoreError, OSError) as exc:
        raise _fail(f"template '{url}' cannot be fetched: {exc}", step=step, where=url,
                    hint="check the URL and that the deploying credentials may read it") from exc


def https_url(location: str, region: str | None) -> str:
    """An S3 location as the https:// URL CloudFormation's TemplateURL wants.

    >>> https_url("s3://b/k.yaml", "eu-west-1")
    'https://b.s3.eu-west-1.amazonaws.com/k.yaml'
    """
    if location.startswith("s3://"):
        bucket, key = _s3_location(location)
        return f"https://{bucket}.s3.{region or 'us-east-1'}.amazonaws.com/{key}"
    return location


def translate_sam(template: dict, *, parameter_values: dict, session, step: str) -> dict:
    """Expand ``AWS::Serverless::*`` resources into plain CloudFormation with aws-sam-translator.

    Used only when the endpoint runs no transforms (emulators); against AWS the transform
    stays server-side. ``session`` supplies the region and reads AWS managed policies.
    """
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
        from samtranslator.translator.translator import Translator
    except ImportError as exc:  # pragma: no cover - the 'aws' extra is missing
        raise _fail(
            "the template uses AWS::Serverless-2016-10-31 but aws-sam-translator is not installed",
            step=step, hint="pip install 'attini-sdk[aws]'",
        ) from exc
    loader = ManagedPolicyLoader(session.client("iam"))
    with _SAM_LOCK:
        try:
            translator = Translator(None, Parser(), boto_session=session)
            return translator.translate(
                json.loads(json.dumps(template)),  # the translator mutates its input
                parameter_values=dict(parameter_values),
                get_managed_policy_map=loader.load,
            )
        except InvalidDocumentException as exc:
            reasons = "; ".join(str(cause) for cause in exc.causes) or str(exc)
            raise _fail(f"SAM template is invalid: {reasons}", step=step,
                        hint="fix the AWS::Serverless resources named above") from exc


def render(template: dict) -> str:
    """Serialise a (translated) template for TemplateBody.

    >>> render({"Resources": {}})
    '{"Resources": {}}'
    """
    return json.dumps(template, separators=(", ", ": "), default=str)


def describe(template: dict) -> dict[str, Any]:
    """A short summary for logs: counts of parameters, resources, outputs.

    >>> describe({"Resources": {"A": {}}, "Outputs": {}})
    {'parameters': 0, 'resources': 1, 'outputs': 0}
    """
    return {
        "parameters": len(template.get("Parameters") or {}),
        "resources": len(template.get("Resources") or {}),
        "outputs": len(template.get("Outputs") or {}),
    }
