"""``CloudWatch Alarm State Change`` events on EventBridge for LocalStack's CloudWatch (contract §8.2).

On AWS, CloudWatch puts an event (source ``aws.cloudwatch``) on the ``default`` bus of the alarm's account
and region every time an alarm changes state. LocalStack 4.13.1's CloudWatch (``provider_v2``) records the
change in its alarm history but sends no event, so EventBridge rules on alarm state changes (our CDK kit's
retraining rule among them) never fire locally. This module adds the events without touching LocalStack:

- :func:`start_alarm_event_watcher` (``on_infra_start`` hook) starts :class:`AlarmEventWatcher`, a daemon
  thread that reads (never writes) every account/region store of ``cloudwatch_stores`` about twice a second;
- each ``StateUpdate`` history item appended since the previous look becomes one event
  (:func:`alarm_state_change_event`), put with LocalStack's internal EventBridge client, which accepts
  ``aws.*`` sources, so rules and targets behave as for any other event;
- items that existed when the watcher started are not replayed, and each item is sent at most once: the
  watcher remembers, per store, the history list, how many of its items it has handled and the last of them
  (by identity), and copes with histories that are cleared or replaced (state reset, persistence);
- the thread logs and carries on after any error, and stops when LocalStack shuts down (``infra_stopping``).

What the history gives and what the watcher derives (``_update_state`` of ``provider_v2``):
``HistoryData`` holds the old state (value, reason) and the new one (value, reason, reason data). The item's
``Timestamp`` is the *old* state's ``StateUpdatedTimestamp``, which is ``previousState.timestamp``. The new
state's time is the next state update's ``Timestamp`` of the same alarm, or else the alarm's current
``StateUpdatedTimestamp``; the previous state's reason data is the new-state reason data of the alarm's
previous state update. LocalStack writes some of these times as naive local times; they are read as such.

The alarm's configuration in the event is taken from the alarm as it is when the event is built; the
``id`` of a single-metric alarm's metric is a UUID derived from the alarm ARN, so it is stable per alarm.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from localstack.runtime import hooks
from localstack.services.stores import LOCAL_ATTR_PREFIX

__all__ = [
    "DETAIL_TYPE",
    "SOURCE",
    "AlarmEventWatcher",
    "alarm_configuration",
    "alarm_state_change_event",
    "event_time",
    "put_events_entry",
    "start_alarm_event_watcher",
    "state_timestamp",
]

LOG = logging.getLogger(__name__)

SOURCE = "aws.cloudwatch"
DETAIL_TYPE = "CloudWatch Alarm State Change"
DEFAULT_BUS = "default"
STATE_UPDATE = "StateUpdate"
POLL_INTERVAL = 0.5
# A history item whose alarm does not show the new state yet (the provider appends the item first) waits
# this long for the alarm before the watcher uses the time it saw the item instead.
SETTLE_SECONDS = 2.0
# Slack for clock rounding when deciding whether an item in a store the watcher cannot follow is new.
_SLACK = timedelta(seconds=1)
_MAX_ENTRIES = 10  # PutEvents limit


# ---------------------------------------------------------------------------------------------------------
# The event


def _utc(moment: datetime) -> datetime:
    # Naive datetimes are local time (LocalStack's ``datetime.now()``); astimezone() reads them as such.
    return moment.astimezone(UTC)


def state_timestamp(moment: datetime) -> str:
    """A state's ``timestamp`` in an alarm event: ``yyyy-MM-ddTHH:mm:ss.SSS+0000`` in UTC.

    Examples
    --------
    >>> state_timestamp(datetime(2019, 10, 2, 17, 4, 40, 989123, tzinfo=UTC))
    '2019-10-02T17:04:40.989+0000'
    """
    moment = _utc(moment)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def event_time(moment: datetime) -> str:
    """The envelope's ``time``: ISO-8601 in UTC to the second, with ``Z``.

    Examples
    --------
    >>> event_time(datetime(2019, 10, 2, 17, 4, 40, 989123, tzinfo=UTC))
    '2019-10-02T17:04:40Z'
    """
    return f"{_utc(moment):%Y-%m-%dT%H:%M:%S}Z"


def _dimensions(dimensions: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    return {d["Name"]: d.get("Value") for d in dimensions or ()}


def _metric(metric: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"dimensions": _dimensions(metric.get("Dimensions")), "name": metric.get("MetricName")}
    if metric.get("Namespace") is not None:
        out["namespace"] = metric["Namespace"]
    return out


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if query.get("Expression") is not None:
        out["expression"] = query["Expression"]
    out["id"] = query.get("Id")
    if query.get("Label") is not None:
        out["label"] = query["Label"]
    if stat := query.get("MetricStat"):
        out["metricStat"] = {"metric": _metric(stat.get("Metric") or {}), "period": stat.get("Period"),
                             "stat": stat.get("Stat")}
    elif query.get("MetricName") is not None:  # not an API shape, tolerated
        out["metricStat"] = {"metric": _metric(query), "period": query.get("Period"), "stat": query.get("Stat")}
    out["returnData"] = bool(query.get("ReturnData", True))
    return out


def alarm_configuration(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """The event's ``detail.configuration`` of an alarm (a DescribeAlarms ``MetricAlarm``/``CompositeAlarm``).

    A single-metric alarm gives one metric whose ``id`` is a UUID derived from the alarm ARN; a metric-math
    alarm gives its ``Metrics`` queries; a composite alarm gives ``alarmRule`` (and its actions suppressor).
    ``description`` is there when the alarm has one.

    Examples
    --------
    >>> config = alarm_configuration({
    ...     "AlarmName": "cpu", "AlarmArn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu",
    ...     "AlarmDescription": "too hot", "MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
    ...     "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}], "Period": 300, "Statistic": "Average"})
    >>> config["description"], config["metrics"][0]["metricStat"]["metric"]
    ('too hot', {'dimensions': {'InstanceId': 'i-1'}, 'name': 'CPUUtilization', 'namespace': 'AWS/EC2'})
    >>> alarm_configuration({"AlarmName": "any", "AlarmRule": "ALARM(cpu)"})
    {'alarmRule': 'ALARM(cpu)'}
    """
    config: dict[str, Any] = {}
    if alarm.get("AlarmDescription"):
        config["description"] = alarm["AlarmDescription"]
    if "AlarmRule" in alarm:  # composite alarm
        config["alarmRule"] = alarm["AlarmRule"]
        for key, name in (("ActionsSuppressor", "actionsSuppressor"),
                          ("ActionsSuppressorWaitPeriod", "actionsSuppressorWaitPeriod"),
                          ("ActionsSuppressorExtensionPeriod", "actionsSuppressorExtensionPeriod")):
            if alarm.get(key) is not None:
                config[name] = alarm[key]
        return config
    if alarm.get("Metrics"):
        config["metrics"] = [_metric_query(query) for query in alarm["Metrics"]]
        return config
    arn = alarm.get("AlarmArn") or alarm.get("AlarmName") or ""
    config["metrics"] = [{
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(arn))),
        "metricStat": {"metric": _metric(alarm), "period": alarm.get("Period"),
                       "stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic")},
        "returnData": True,
    }]
    return config


def _reason_data(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):  # LocalStack adds "startDate": null to data given to SetAlarmState
        value = {key: item for key, item in value.items() if item is not None}
    return json.dumps(value, separators=(",", ":"))


def _state(value: str, reason: str | None, reason_data: Any, moment: datetime) -> dict[str, Any]:
    state: dict[str, Any] = {"reason": reason or ""}
    if (data := _reason_data(reason_data)) is not None:
        state["reasonData"] = data
    state["timestamp"] = state_timestamp(moment)
    state["value"] = value
    return state


def history_data(item: Mapping[str, Any]) -> dict[str, Any]:
    """The parsed ``HistoryData`` of a history item (``{}`` when it is missing or not JSON)."""
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def alarm_state_change_event(item: Mapping[str, Any], alarm: Mapping[str, Any] | None, *, account_id: str,
                             region: str, alarm_arn: str, state_time: datetime,
                             previous_reason_data: Any = None, event_id: str | None = None) -> dict[str, Any]:
    """The ``CloudWatch Alarm State Change`` event of one ``StateUpdate`` history item, as EventBridge delivers it.

    Parameters
    ----------
    item : mapping
        The ``AlarmHistoryItem`` (``AlarmName``, ``Timestamp`` = the old state's time, ``HistoryData``).
    alarm : mapping or None
        The alarm (DescribeAlarms shape) for ``detail.configuration``; None gives an empty configuration.
    account_id, region, alarm_arn : str
    state_time : datetime
        When the alarm entered the new state (naive = local time).
    previous_reason_data : dict or str, optional
        The old state's reason data (the history keeps only its value and reason).
    event_id : str, optional
        A UUID by default. EventBridge assigns its own id to a put event.

    Examples
    --------
    >>> item = {"AlarmName": "cpu", "Timestamp": datetime(2019, 10, 1, 13, 56, 40, 987000, tzinfo=UTC),
    ...         "HistoryItemType": "StateUpdate", "AlarmType": "MetricAlarm",
    ...         "HistoryData": json.dumps({"version": "1.0",
    ...             "oldState": {"stateValue": "OK", "stateReason": "fine"},
    ...             "newState": {"stateValue": "ALARM", "stateReason": "hot",
    ...                          "stateReasonData": {"version": "1.0"}}})}
    >>> event = alarm_state_change_event(item, {"AlarmName": "cpu", "MetricName": "CPU", "Namespace": "N",
    ...     "Period": 60, "Statistic": "Maximum"}, account_id="000000000000", region="us-east-1",
    ...     alarm_arn="arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu",
    ...     state_time=datetime(2019, 10, 2, 17, 4, 40, 989000, tzinfo=UTC), event_id="e")
    >>> event["time"], event["detail"]["previousState"]["value"], event["detail"]["previousState"]["timestamp"]
    ('2019-10-02T17:04:40Z', 'OK', '2019-10-01T13:56:40.987+0000')
    >>> event["detail"]["state"]  # doctest: +NORMALIZE_WHITESPACE
    {'reason': 'hot', 'reasonData': '{"version":"1.0"}', 'timestamp': '2019-10-02T17:04:40.989+0000',
     'value': 'ALARM'}
    """
    data = history_data(item)
    old, new = data.get("oldState") or {}, data.get("newState") or {}
    alarm = dict(alarm or {})
    alarm.setdefault("AlarmArn", alarm_arn)
    configuration = alarm_configuration(alarm) if alarm.get("AlarmName") else {}
    old_time = item.get("Timestamp")
    if not isinstance(old_time, datetime):
        old_time = state_time
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account_id,
        "time": event_time(state_time),
        "region": region,
        "resources": [alarm_arn],
        "detail": {
            "alarmName": item.get("AlarmName"),
            "configuration": configuration,
            "previousState": _state(old.get("stateValue"), old.get("stateReason"), previous_reason_data, old_time),
            "state": _state(new.get("stateValue"), new.get("stateReason"), new.get("stateReasonData"), state_time),
        },
    }


def put_events_entry(event: Mapping[str, Any], bus: str = DEFAULT_BUS) -> dict[str, Any]:
    """The PutEvents entry that makes EventBridge deliver *event* (it assigns ``id``, ``account``, ``region``).

    Examples
    --------
    >>> entry = put_events_entry({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
    ...     "time": "2019-10-02T17:04:40Z", "resources": ["arn:a"], "detail": {"alarmName": "cpu"}})
    >>> entry["Source"], entry["Detail"], entry["EventBusName"], entry["Time"].isoformat()
    ('aws.cloudwatch', '{"alarmName": "cpu"}', 'default', '2019-10-02T17:04:40+00:00')
    """
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": list(event.get("resources") or []),
        "Time": datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        "EventBusName": bus,
    }


# ---------------------------------------------------------------------------------------------------------
# The watcher


def _local(store: Any, name: str, default: Any) -> Any:
    # Read a LocalAttribute without its getter, which would assign the default to the store.
    value = getattr(store, "__dict__", {}).get(LOCAL_ATTR_PREFIX + name)
    return default if value is None else value


def _alarm_dict(alarm: Any) -> Mapping[str, Any] | None:
    value = getattr(alarm, "alarm", alarm)  # LocalStackMetricAlarm / LocalStackCompositeAlarm wrap a dict
    return value if isinstance(value, Mapping) else None


def _same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("stateValue") == b.get("stateValue") and a.get("stateReason") == b.get("stateReason")


def _default_stores() -> Any:
    from localstack.services.cloudwatch.models import cloudwatch_stores

    return cloudwatch_stores


def _default_lock() -> Any:
    # The provider holds this lock while it appends a history item and updates the alarm; taking it for the
    # copy gives a consistent picture. Only when the provider is already loaded (importing it has effects).
    import sys

    module = sys.modules.get("localstack.services.cloudwatch.provider_v2")
    return getattr(module, "_STORE_LOCK", None)


def _default_put(entries: list[dict[str, Any]], account_id: str, region: str) -> None:
    from sagewatch.localstack.events import put_events

    put_events(entries, account_id, region)


def _default_arn(name: str, account_id: str, region: str) -> str:
    try:
        from localstack.utils.aws import arns

        return arns.cloudwatch_alarm_arn(name, account_id=account_id, region_name=region)
    except Exception:  # noqa: BLE001 - fall back to the aws partition
        return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


@dataclass
class _Cursor:
    store: Any
    histories: Any  # the list object followed
    handled: int = 0  # items of that list handled (sent, skipped or existing at start)
    last: Any = None  # the last handled item (identity check)
    alarms: dict = field(default_factory=dict)  # the store's alarms at the previous look (deleted alarms)
    polled_at: datetime | None = None
    waiting_since: float | None = None  # monotonic time an unsettled item was first seen


class AlarmEventWatcher:
    """Turns new ``StateUpdate`` items of CloudWatch alarm histories into EventBridge events.

    Parameters
    ----------
    stores : AccountRegionBundle, optional
        LocalStack's ``cloudwatch_stores`` by default.
    put : callable, optional
        ``put(entries, account_id, region)``; LocalStack's internal EventBridge client by default.
    interval : float
        Seconds between looks.
    stop_event : threading.Event, optional
        The thread also stops when this is set (LocalStack's ``infra_stopping`` from the hook).
    lock : lock, optional
        Taken while copying a store; the CloudWatch provider's store lock by default (when it is loaded).
    """

    def __init__(self, stores: Any = None, put: Callable[[list[dict[str, Any]], str, str], None] | None = None,
                 *, interval: float = POLL_INTERVAL, stop_event: threading.Event | None = None,
                 lock: Any = None, arn: Callable[[str, str, str], str] | None = None,
                 settle_seconds: float = SETTLE_SECONDS) -> None:
        self._stores = stores
        self._put = put or _default_put
        self._lock = lock
        self._arn = arn or _default_arn
        self.interval = interval
        self.settle_seconds = settle_seconds
        self._external_stop = stop_event
        self._stop = threading.Event()
        self._cursors: dict[tuple[str, str], _Cursor] = {}
        self._thread: threading.Thread | None = None
        self.started_at: datetime | None = None
        self.sent = 0

    # -- lifecycle ----------------------------------------------------------------------------------------

    def prime(self) -> None:
        """Remember every item that exists now, so that only later ones are sent."""
        self.started_at = datetime.now(UTC)
        for key, store in self._iter_stores():
            histories = _local(store, "histories", [])
            items = list(histories)
            self._cursors[key] = _Cursor(store=store, histories=histories, handled=len(items),
                                         last=items[-1] if items else None,
                                         alarms=dict(_local(store, "alarms", {})), polled_at=self.started_at)

    def start(self) -> AlarmEventWatcher:
        """Prime and start the daemon thread (once)."""
        if self._thread is None:
            self.prime()
            self._thread = threading.Thread(target=self._run, name="sagewatch-alarm-events", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _stopping(self) -> bool:
        return self._stop.is_set() or (self._external_stop is not None and self._external_stop.is_set())

    def _run(self) -> None:
        LOG.debug("sagewatch: alarm state change events: watching CloudWatch alarm histories")
        while not self._stopping():
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - the thread must survive anything
                LOG.exception("sagewatch: alarm state change events: look at the alarm histories failed")
            self._stop.wait(self.interval)
        LOG.debug("sagewatch: alarm state change events: stopped")

    # -- one look -----------------------------------------------------------------------------------------

    def _iter_stores(self) -> list[tuple[tuple[str, str], Any]]:
        if self._stores is None:
            self._stores = _default_stores()
        bundle = self._stores
        with bundle.lock:  # a copy: requests add accounts and regions while we read
            accounts = list(bundle.items())
            return [((account, region), store)
                    for account, regions in accounts for region, store in list(regions.items())]

    def poll(self) -> int:
        """Look at every store once, send the events of new items; return how many were sent."""
        if self.started_at is None:
            self.prime()
        sent = 0
        for key, store in self._iter_stores():
            try:
                entries = self._poll_store(key, store)
            except Exception:  # noqa: BLE001 - one broken store must not stop the others
                LOG.exception("sagewatch: alarm state change events: store %s/%s", *key)
                continue
            for start in range(0, len(entries), _MAX_ENTRIES):
                chunk = entries[start:start + _MAX_ENTRIES]
                try:
                    self._put(chunk, *key)
                    sent += len(chunk)
                except Exception:  # noqa: BLE001 - events are best effort, never sent twice
                    LOG.exception("sagewatch: alarm state change events: could not put %d event(s)", len(chunk))
        self.sent += sent
        return sent

    def _snapshot(self, store: Any) -> tuple[Any, list, dict]:
        lock = self._lock if self._lock is not None else _default_lock()
        acquired = lock.acquire(timeout=1.0) if lock is not None else False
        try:
            histories = _local(store, "histories", [])
            return histories, list(histories), dict(_local(store, "alarms", {}))
        finally:
            if acquired:
                lock.release()

    def _poll_store(self, key: tuple[str, str], store: Any) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        histories, items, alarms = self._snapshot(store)
        cursor = self._cursors.get(key)
        cutoff: datetime | None = None  # set when we cannot tell new items by position
        if cursor is None or cursor.store is not store or cursor.histories is not histories:
            # A store (or history list) we have not followed: created, reset or restored after the last look.
            cutoff = (cursor.polled_at if cursor else self.started_at or now) - _SLACK
            known_alarms = cursor.alarms if cursor else {}
            cursor = _Cursor(store=store, histories=histories, alarms=known_alarms)
            self._cursors[key] = cursor
            first = 0
        elif cursor.handled <= len(items) and (cursor.handled == 0 or items[cursor.handled - 1] is cursor.last):
            first = cursor.handled
        else:  # the list was changed in place (cleared, truncated)
            position = next((i for i in range(len(items) - 1, -1, -1) if items[i] is cursor.last), None)
            if position is None:
                cutoff = (cursor.polled_at or now) - _SLACK
                first = 0
            else:
                first = position + 1

        known = {**cursor.alarms, **alarms}
        entries: list[dict[str, Any]] = []
        handled = first
        for index in range(first, len(items)):
            item = items[index]
            if item.get("HistoryItemType") == STATE_UPDATE:
                outcome = self._entry(key, items, index, alarms, known, cutoff)
                if outcome is _UNSETTLED:
                    if cursor.waiting_since is None:
                        cursor.waiting_since = time.monotonic()
                    if time.monotonic() - cursor.waiting_since < self.settle_seconds:
                        break  # look again next time
                    outcome = self._entry(key, items, index, alarms, known, cutoff, fallback=now)
                cursor.waiting_since = None
                if outcome is not None and outcome is not _UNSETTLED:
                    entries.append(outcome)
            handled = index + 1
        cursor.handled = handled
        cursor.last = items[handled - 1] if handled else None
        cursor.alarms = alarms
        cursor.polled_at = now
        return entries

    def _entry(self, key: tuple[str, str], items: list, index: int, alarms: Mapping[str, Any],
               known: Mapping[str, Any], cutoff: datetime | None, fallback: datetime | None = None) -> Any:
        account_id, region = key
        item = items[index]
        name = item.get("AlarmName")
        data = history_data(item)
        new, old = data.get("newState") or {}, data.get("oldState") or {}
        arn = self._arn(name, account_id, region)
        alarm = _alarm_dict(alarms.get(arn))

        state_time: datetime | None = None
        # The next state update of the alarm starts from this item's new state at that state's time.
        for later in (items[i] for i in range(index + 1, len(items))):
            if later.get("AlarmName") == name and later.get("HistoryItemType") == STATE_UPDATE:
                if _same_state(history_data(later).get("oldState") or {}, new):
                    state_time = later.get("Timestamp")
                break
        if state_time is None and alarm is not None:
            current = alarm.get("StateUpdatedTimestamp")
            if current == item.get("Timestamp") and fallback is None:
                return _UNSETTLED  # the provider appended the item but has not updated the alarm yet
            if alarm.get("StateValue") == new.get("stateValue") and alarm.get("StateReason") == new.get(
                    "stateReason") and isinstance(current, datetime) and current != item.get("Timestamp"):
                state_time = current
        if not isinstance(state_time, datetime):
            state_time = fallback or datetime.now(UTC)
        if cutoff is not None and _utc(state_time) < cutoff:
            return None  # older than our previous look: restored or replayed state, not a new change

        previous_reason_data = None
        if old.get("stateReason") != "Unchecked: Initial alarm creation":
            for earlier in (items[i] for i in range(index - 1, -1, -1)):
                if earlier.get("AlarmName") == name and earlier.get("HistoryItemType") == STATE_UPDATE:
                    earlier_new = history_data(earlier).get("newState") or {}
                    if _same_state(earlier_new, old):
                        previous_reason_data = earlier_new.get("stateReasonData")
                    break

        config_alarm = alarm if alarm is not None else _alarm_dict(known.get(arn))
        event = alarm_state_change_event(item, config_alarm, account_id=account_id, region=region,
                                         alarm_arn=arn, state_time=state_time,
                                         previous_reason_data=previous_reason_data)
        LOG.debug("sagewatch: alarm %s %s -> %s: event to EventBridge %s/%s", name, old.get("stateValue"),
                  new.get("stateValue"), account_id, region)
        return put_events_entry(event)


_UNSETTLED = object()


# ---------------------------------------------------------------------------------------------------------
# The hook

_watcher: AlarmEventWatcher | None = None


@hooks.on_infra_start()
def start_alarm_event_watcher() -> None:
    """Start the watcher thread (once per process); it stops with LocalStack (``infra_stopping``)."""
    global _watcher
    if _watcher is not None and _watcher.is_alive():
        return
    from localstack.runtime import events as runtime_events

    _watcher = AlarmEventWatcher(stop_event=runtime_events.infra_stopping).start()
    LOG.debug("sagewatch: alarm state change events enabled")
