"""The bulk capture reader agrees with reading one record at a time, over hostile capture files.

The fast path parses whole blocks of JSON Lines with ``pyarrow.json`` and decides every record's fate with
vectorised masks; the reference is the same flattener given one record at a time, under the layout the
bulk read settled on. Whatever the block and chunk sizes, both must keep the same rows (same values, same
metadata, in the same order), count the same records and skip the same ones for the same reasons.
``parse_time_array`` is checked against formatting its result back, the test it replaced.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagewatch.capture._arrow import parse_time_array
from sagewatch.capture.flatten import flatten_capture_lines
from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import DatasetError
from sagewatch.schemas.capture import parse_inference_time

T0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
WINDOW = (T0, T0 + timedelta(hours=1))
FORMAT = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}

# ----------------------------------------------------------------------------------------------- record pieces
csv_field = st.one_of(
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
    st.just(""),
    st.from_regex(r'"[a-z ,]{0,6}"', fullmatch=True),  # quoted, commas inside
    st.just('"line\nbreak"'),  # a quoted line break
    st.sampled_from(["é", "x y", "ü,"]).map(lambda s: f'"{s}"'),
)
csv_payload = st.one_of(
    st.lists(csv_field, min_size=1, max_size=4).map(",".join),
    st.lists(st.lists(csv_field, min_size=2, max_size=2).map(",".join), min_size=2, max_size=3).map("\n".join),
    st.sampled_from(["1,2,3\r\n", "1,2,3\n", "4,5,6"]),
)
json_payload = st.one_of(
    st.fixed_dictionaries({"x": st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 3)),
                           "y": st.sampled_from(["a", "b", "c"])}).map(json.dumps),
    st.lists(st.integers(-9, 9), min_size=1, max_size=3).map(json.dumps),
    st.just('{"instances": [[1, 2], [3, 4]]}'),
    st.just("{not json"),
    st.just("[" * 40 + "]" * 40),  # deeper than the bound
)


@st.composite
def payload(draw, mode):
    kind = draw(st.sampled_from(["csv", "csv", "json", "base64-csv", "base64-json", "base64-bad", "base64-other",
                                 "weird-encoding", "no-data"]))
    content = "text/csv" if "csv" in kind else "application/json"
    if kind == "csv":
        data, encoding = draw(csv_payload), "CSV"
    elif kind == "json":
        data, encoding = draw(json_payload), "JSON"
    elif kind == "base64-csv":
        data, encoding = base64.b64encode(draw(csv_payload).encode()).decode(), "BASE64"
    elif kind == "base64-json":
        data, encoding = base64.b64encode(draw(json_payload).encode()).decode(), "BASE64"
    elif kind == "base64-bad":
        data, encoding = "%%%not base64", "BASE64"
    elif kind == "base64-other":
        data, encoding, content = base64.b64encode(b"\x00\x01").decode(), "BASE64", "image/png"
    elif kind == "weird-encoding":
        data, encoding = "1,2", "UTF-16"
    else:
        return {"observedContentType": content, "mode": mode, "encoding": "CSV"}
    return {"observedContentType": content, "mode": mode, "data": data, "encoding": encoding}


inference_time = st.one_of(
    st.integers(0, 3599).map(lambda s: f"{T0 + timedelta(seconds=s):%Y-%m-%dT%H:%M:%SZ}"),
    st.integers(0, 3599).map(lambda s: f"{T0 + timedelta(seconds=s):%Y-%m-%dT%H:%M:%S}.250Z"),
    st.integers(0, 3599).map(lambda s: f"{T0 + timedelta(seconds=s, hours=2):%Y-%m-%dT%H:%M:%S}+02:00"),
    st.sampled_from(["2024-05-01T09:59:59Z", "2024-05-01T11:00:00Z", "2024-02-30T10:00:00Z",
                     "2024-05-01T10:59:60Z", "yesterday", "0000-05-01T10:00:00Z"]),
)


@st.composite
def capture_line(draw) -> bytes:
    kind = draw(st.sampled_from(["record"] * 12 + ["not-json", "null", "list", "blank", "latin-1", "no-capture",
                                                   "shadow"]))
    if kind == "not-json":
        return b'{"captureData": {"endpointInput"'
    if kind == "null":
        return b"null"
    if kind == "list":
        return b"[1, 2]"
    if kind == "blank":
        return b"   "
    if kind == "latin-1":
        return b'{"captureData": {"endpointInput": {"data": "caf\xe9", "encoding": "CSV"}}}'
    capture = {}
    if draw(st.booleans()) or kind == "no-capture":
        capture["endpointInput"] = draw(payload("INPUT"))
    if draw(st.integers(0, 4)) > 0:  # endpointOutput is missing now and then
        capture["endpointOutput"] = draw(payload("OUTPUT"))
    metadata = {"eventId": f"e{draw(st.integers(0, 10**6))}", "inferenceTime": draw(inference_time)}
    if draw(st.booleans()):
        metadata["inferenceId"] = f"i{draw(st.integers(0, 99))}"
    if kind == "shadow":
        metadata["invocationSource"] = "ShadowExperiment"
    record = {"eventMetadata": metadata, "eventVersion": "0"} if kind == "no-capture" else \
        {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}
    return json.dumps(record, ensure_ascii=draw(st.booleans())).encode()


# the common case, so that most files have a clear majority layout
CANONICAL = st.builds(
    lambda a, b, c, s: json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{a},{b}", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{c}", "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"c{a}", "inferenceTime": f"{T0 + timedelta(seconds=s):%Y-%m-%dT%H:%M:%SZ}"},
        "eventVersion": "0"}).encode(),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 9), st.integers(0, 3599))
# a request of k CSV lines answered by k lines: k rows
MULTI_LINE = st.builds(
    lambda k, a, s: json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                          "data": "\n".join(f"{a + j},{j}" for j in range(k)), "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                           "data": "\n".join(str(j) for j in range(k)) + "\n", "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"m{a}", "inferenceTime": f"{T0 + timedelta(seconds=s):%Y-%m-%dT%H:%M:%SZ}"},
        "eventVersion": "0"}).encode(),
    st.integers(2, 3), st.integers(0, 99), st.integers(0, 3599))
lines = st.lists(st.one_of(CANONICAL, CANONICAL, MULTI_LINE, capture_line()), min_size=1, max_size=40)


# ----------------------------------------------------------------------------------------------- comparison
def _value(v):
    return round(v, 9) if isinstance(v, float) else v


def _rows(table: pa.Table) -> list[dict]:
    return [{k: _value(v) for k, v in row.items() if v is not None} for row in table.to_pylist()]


def _one_at_a_time(records: list[bytes], layout, window) -> tuple[list[dict], list[dict], dict[str, int], int]:
    rows, metadata, skips, count = [], [], {}, 0
    for record in records:
        alone = flatten_capture_lines(record, layout=layout, start_time=window[0], end_time=window[1])
        rows += _rows(alone.table)
        metadata += alone.metadata.to_pylist()
        for reason, n in alone.skips.to_dict().items():
            skips[reason] = skips.get(reason, 0) + n
        count += alone.records
    return rows, metadata, skips, count


def _records(text: bytes) -> list[bytes]:
    """The records of a JSON Lines text as the flattener sees them: ``\\n`` and ``\\r`` end a line."""
    return [r for r in re.split(rb"[\r\n]", text) if r.strip()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=lines, ending=st.sampled_from([b"\n", b"\r\n"]), window=st.sampled_from([WINDOW, (None, None)]))
def test_a_block_flattens_as_its_records_do_one_at_a_time(lines, ending, window):
    text = ending.join(lines) + ending
    bulk = flatten_capture_lines(text, start_time=window[0], end_time=window[1])
    rows, metadata, skips, count = _one_at_a_time(_records(text), bulk.layout, window)
    assert _rows(bulk.table) == rows
    assert bulk.metadata.to_pylist() == metadata
    assert bulk.skips.to_dict() == skips
    assert bulk.records == count


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(files=st.lists(lines, min_size=1, max_size=3), block_bytes=st.sampled_from([64, 700, 1 << 20]),
       chunk_rows=st.sampled_from([1, 7, 10_000]))
def test_reading_in_blocks_and_chunks_gives_the_records_one_at_a_time(tmp_path_factory, files, block_bytes,
                                                                      chunk_rows):
    folder = tmp_path_factory.mktemp("capture")
    for number, content in enumerate(files):
        (folder / f"{number:02d}.jsonl").write_bytes(b"\n".join(content) + b"\n")
    reader = iter_dataset(folder, FORMAT, start_time=WINDOW[0], end_time=WINDOW[1], chunk_rows=chunk_rows,
                          block_bytes=block_bytes)
    try:
        chunks = list(reader)
    except DatasetError:
        chunks = []
    records = [r for content in files for r in _records(b"\n".join(content))]
    rows, _, skips, count = _one_at_a_time(records, reader.layout, WINDOW)
    assert [row for chunk in chunks for row in _rows(chunk)] == rows
    assert all(chunk.num_rows == chunk_rows for chunk in chunks[:-1])
    assert reader.skips.to_dict() == skips
    assert reader.records == count


def test_sizes_past_every_boundary_keep_every_record(tmp_path):
    """A million-record-like file in miniature: blocks of a few lines, chunks cutting records of one block."""
    canonical = [json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{i},{i % 7}", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{i / 10}", "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"e{i}", "inferenceTime": f"{T0 + timedelta(seconds=i % 3600):%Y-%m-%dT%H:%M:%SZ}"},
        "eventVersion": "0"}) for i in range(2000)]
    canonical[1234] = "not json"
    (tmp_path / "a.jsonl").write_text("\n".join(canonical[:1000]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(canonical[1000:]))  # no final line break
    for block_bytes, chunk_rows in ((1024, 333), (1 << 16, 1000), (1 << 25, 4096)):
        reader = iter_dataset(tmp_path, FORMAT, start_time=WINDOW[0], end_time=WINDOW[1], chunk_rows=chunk_rows,
                              block_bytes=block_bytes)
        table = pa.concat_tables(list(reader))
        assert table.column("_c1").to_pylist() == [str(i) for i in range(2000) if i != 1234]
        assert (reader.records, reader.skips.to_dict()) == (2000, {"bad_json": 1})


# ----------------------------------------------------------------------------------------------- inferenceTime
def _formatted_back(values: pa.Array) -> pa.Array:
    """The check ``parse_time_array`` used before: Arrow's ``strftime`` of the parse equals the text."""
    values = values.cast(pa.string())
    fast = pc.strptime(values, format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True)
    exact = pc.and_(pc.equal(pc.strftime(fast, format="%Y-%m-%dT%H:%M:%SZ"), values),
                    pc.greater_equal(fast, pa.scalar(datetime(1, 1, 1), pa.timestamp("s"))))
    fast = pc.if_else(pc.fill_null(exact, False), fast, pa.scalar(None, fast.type))
    seconds = pc.cast(fast, pa.int64()).to_numpy(zero_copy_only=False).astype("float64")
    for i in np.flatnonzero(pc.and_(pc.is_null(fast), pc.is_valid(values)).to_numpy(zero_copy_only=False)):
        try:
            seconds[i] = int(parse_inference_time(values[int(i)].as_py()).timestamp())
        except (ValueError, TypeError, OverflowError):
            pass
    mask = np.isnan(seconds)
    return pa.array(np.where(mask, 0, seconds).astype("int64"), pa.int64(), mask=mask).cast(pa.timestamp("s", "UTC"))


service_time = st.builds(
    lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 61),
    st.integers(0, 61))


@st.composite
def mangled(draw):
    text = list(draw(service_time))
    for _ in range(draw(st.integers(0, 2))):
        text[draw(st.integers(0, len(text) - 1))] = draw(st.sampled_from(list("0123456789-T:Z +.z/０")))
    return "".join(text)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(service_time, mangled(), st.none(), st.text(max_size=25)), max_size=30),
       start=st.integers(0, 3))
def test_parse_time_array_agrees_with_formatting_back(values, start):
    array = pa.array(values, pa.string()).slice(min(start, len(values)))  # slices: offsets not at zero
    assert parse_time_array(array).equals(_formatted_back(array))


@pytest.mark.parametrize("text", ["2024-02-30T10:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
                                  "2024-05-01T10:59:60Z", "2024-05-01T23:59:61Z", "0000-01-01T00:00:00Z",
                                  "2024-5-01T10:00:00Z", "2024-05-01T10:00:00z"])
def test_times_strptime_rolls_over_or_reads_loosely_are_not_taken_as_written(text):
    parsed = parse_time_array(pa.array([text])).to_pylist()[0]
    assert parsed is None or parsed == parse_inference_time(text).replace(microsecond=0)
