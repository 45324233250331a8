"""AddTags, ListTags and DeleteTags for the resources sagewatch's monitoring plane owns.

Processing jobs, monitoring schedules and the four job-definition families live in sagewatch's own store, so
moto cannot answer tag calls on their ARNs (it fails with an internal error). Their tags — the ``Tags`` of the
Create call, then AddTags/DeleteTags — are kept here; a tag call on any other ARN goes to the *fallback*
handler (moto by default), unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from localstack.aws.api import RequestContext

from sagewatch.localstack.errors import ValidationException
from sagewatch.localstack.sagemaker.common import paginate
from sagewatch.localstack.sagemaker.store import SageMakerStore

__all__ = ["OWNED_RESOURCE_TYPES", "TagStore", "check_tags", "resource_type"]

OWNED_RESOURCE_TYPES = frozenset({
    "processing-job", "monitoring-schedule", "data-quality-job-definition", "model-quality-job-definition",
    "model-bias-job-definition", "model-explainability-job-definition", "transform-job",
})
MAX_TAGS = 50

Handler = Callable[[RequestContext, Mapping[str, Any]], Any]


def resource_type(arn: str) -> str | None:
    """The resource type of a SageMaker ARN (``processing-job`` for ``...:processing-job/name``).

    Examples
    --------
    >>> resource_type("arn:aws:sagemaker:us-east-1:000000000000:monitoring-schedule/s")
    'monitoring-schedule'
    >>> resource_type("not-an-arn") is None
    True
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "sagemaker" or "/" not in parts[5]:
        return None
    return parts[5].split("/", 1)[0]


def check_tags(tags: Any) -> list[dict[str, str]]:
    if not isinstance(tags, list):
        raise ValidationException("Tags must be a list of {Key, Value}.")
    for tag in tags:
        key, value = (tag.get("Key"), tag.get("Value", "")) if isinstance(tag, Mapping) else (None, None)
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise ValidationException.constraint("tags.member.key", key, "Member must have length between 1 and 128")
        if not isinstance(value, str) or len(value) > 256:
            raise ValidationException.constraint("tags.member.value", value, "Member must have length less than or equal to 256")
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]


class TagStore:
    """Tags of the monitoring plane's resources, kept in the store of the account and region of their ARN."""

    def __init__(self, fallback: Handler | None = None, *, store: SageMakerStore | None = None) -> None:
        self.store = store or SageMakerStore()
        self._lock = threading.Lock()
        self._fallback = fallback

    def _of(self, arn: str) -> dict[str, dict[str, str]]:
        return self.store.for_arn(arn).tags

    def owns(self, arn: str) -> bool:
        return resource_type(arn) in OWNED_RESOURCE_TYPES

    def set(self, arn: str, tags: Any) -> None:
        """Record the ``Tags`` of a Create call (nothing when there are none)."""
        if tags:
            checked = check_tags(tags)
            with self._lock:
                self._of(arn)[arn] = {t["Key"]: t["Value"] for t in checked}

    def forget(self, arn: str) -> None:
        with self._lock:
            self._of(arn).pop(arn, None)

    def tags(self, arn: str) -> list[dict[str, str]]:
        with self._lock:
            return [{"Key": key, "Value": value} for key, value in self._of(arn).get(arn, {}).items()]

    def _forward(self, context: RequestContext, request: Mapping[str, Any],
                 fallback: Handler | None = None) -> Any:
        fallback = fallback or self._fallback
        if fallback is None:
            from sagewatch.localstack.dispatch import forward_to_moto

            return forward_to_moto(context, request)
        return fallback(context, request)

    def handlers(self) -> dict[str, Handler]:
        return {"AddTags": self.handle_add, "ListTags": self.handle_list, "DeleteTags": self.handle_delete}

    def chained(self, operation: str, fallback: Handler) -> Handler:
        """The handler of *operation* that passes ARNs it does not own to *fallback* instead of moto."""
        own = self.handlers()[operation]

        def handle(context: RequestContext, request: Mapping[str, Any]) -> Any:
            if self.owns(request.get("ResourceArn", "")):
                return own(context, request)
            return self._forward(context, request, fallback)

        return handle

    def handle_add(self, context: RequestContext, request: Mapping[str, Any]) -> Any:
        arn = request.get("ResourceArn", "")
        if not self.owns(arn):
            return self._forward(context, request)
        added = check_tags(request.get("Tags") or [])
        with self._lock:
            current = self._of(arn).setdefault(arn, {})
            merged = {**current, **{t["Key"]: t["Value"] for t in added}}
            if len(merged) > MAX_TAGS:
                raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
            current.update(merged)
        return {"Tags": self.tags(arn)}

    def handle_list(self, context: RequestContext, request: Mapping[str, Any]) -> Any:
        arn = request.get("ResourceArn", "")
        if not self.owns(arn):
            return self._forward(context, request)
        page, token = paginate(self.tags(arn), {"MaxResults": request.get("MaxResults") or 50,
                                                "NextToken": request.get("NextToken")})
        answer: dict[str, Any] = {"Tags": page}
        if token:
            answer["NextToken"] = token
        return answer

    def handle_delete(self, context: RequestContext, request: Mapping[str, Any]) -> Any:
        arn = request.get("ResourceArn", "")
        if not self.owns(arn):
            return self._forward(context, request)
        with self._lock:
            current = self._of(arn).get(arn, {})
            for key in request.get("TagKeys") or []:
                current.pop(key, None)
        return {}
