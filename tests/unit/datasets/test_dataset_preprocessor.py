"""Pre-processor scripts (contract §4.3)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, JsonFormat
from sagewatch.datasets.preprocessor import SCRIPT_ERROR_MESSAGE, load_preprocessor
from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import DatasetError, JobError

T0 = datetime(2022, 4, 18, tzinfo=timezone.utc)

DG_EXAMPLE = '''
def preprocess_handler(inference_record):
    input_data = inference_record.endpoint_input.data
    output_data = inference_record.endpoint_output.data.rstrip("\\n")
    data = output_data + "," + input_data
    return { str(i).zfill(20) : d for i, d in enumerate(data.split(",")) }
'''


def script(tmp_path, body, name="pre.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def capture_dir(tmp_path, lines):
    folder = tmp_path / "capture" / "ep" / "v" / "2022" / "04" / "18" / "00"
    folder.mkdir(parents=True)
    (folder / "00-00-000-u.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path / "capture"


def cap(i, inp="1,2", out="0.5\n", **meta):
    rec = make_capture_record(event_id=f"e{i}", inference_time=T0 + timedelta(seconds=i), input_data=inp,
                              output_data=out, inference_id=f"i{i}")
    rec["eventMetadata"].update(meta)
    return serialize_capture_record(rec)


def test_documented_zero_padded_example(tmp_path):
    source = capture_dir(tmp_path, [cap(0, "1,2"), cap(1, "3,4", "0.7")])
    reader = iter_dataset(source, CaptureJsonFormat(), preprocessor=script(tmp_path, DG_EXAMPLE))
    table = pa.concat_tables(list(reader))
    pad = [str(i).zfill(20) for i in range(3)]
    assert table.column_names == pad
    assert table.to_pydict() == {pad[0]: ["0.5", "0.7"], pad[1]: ["1", "3"], pad[2]: ["2", "4"]}
    assert reader.skips.total() == 0


def test_handler_with_logger_and_event_metadata(tmp_path):
    body = '''
    def preprocess_handler(inference_record, logger):
        logger.info("seen %s", inference_record.event_metadata.event_id)
        m = inference_record.event_metadata
        return {"id": m.event_id, "inf": m.inference_id, "t": m.event_time,
                "enc": inference_record.event_data.endpointInput.encoding,
                "ct": inference_record.endpoint_output.observedContentType,
                "v": inference_record.event_version}
    '''
    pre = load_preprocessor(script(tmp_path, body))
    assert pre.takes_logger is True
    source = capture_dir(tmp_path, [cap(0)])
    table = pa.concat_tables(list(iter_dataset(source, CaptureJsonFormat(), preprocessor=pre)))
    assert table.to_pylist() == [{"id": "e0", "inf": "i0", "t": "2022-04-18T00:00:00Z", "enc": "CSV",
                                  "ct": "text/csv", "v": "0"}]


def test_dropped_records_and_filters_are_counted(tmp_path):
    body = '''
    def preprocess_handler(inference_record):
        if inference_record.endpoint_input.data.startswith("drop"):
            return []
        if inference_record.endpoint_input.data.startswith("none"):
            return None
        return {"x": inference_record.endpoint_input.data}
    '''
    lines = [cap(0, "keep"), cap(1, "drop"), cap(2, "none"), cap(3, "keep", invocationSource="ShadowExperiment"),
             "nope", cap(4, "late")]
    reader = iter_dataset(capture_dir(tmp_path, lines), CaptureJsonFormat(), preprocessor=script(tmp_path, body),
                          start_time=T0, end_time=T0 + timedelta(seconds=4))
    assert pa.concat_tables(list(reader)).to_pydict() == {"x": ["keep"]}
    assert reader.skips.to_dict() == {
        "bad_json": 1, "outside_window": 1, "preprocessor_dropped": 2, "shadow_traffic": 1,
    }


def test_exception_in_handler_becomes_job_error(tmp_path):
    body = '''
    def preprocess_handler(inference_record):
        raise KeyError("no such feature")
    '''
    reader = iter_dataset(capture_dir(tmp_path, [cap(0)]), CaptureJsonFormat(), preprocessor=script(tmp_path, body))
    with pytest.raises(JobError) as info:
        list(reader)
    message = str(info.value)
    assert message.startswith(
        "There is an exception raised in preprocessor script. Please double check the preprocessor script."
    )
    assert message == f"{SCRIPT_ERROR_MESSAGE} KeyError: 'no such feature'"
    assert isinstance(info.value.__cause__, KeyError)


def test_exception_at_import_and_missing_handler(tmp_path):
    with pytest.raises(JobError, match="^There is an exception raised in preprocessor script"):
        load_preprocessor(script(tmp_path, "1 / 0\n", "boom.py"))
    with pytest.raises(JobError, match="must define preprocess_handler"):
        load_preprocessor(script(tmp_path, "x = 1\n", "empty.py"))
    with pytest.raises(JobError, match="not found"):
        load_preprocessor(tmp_path / "missing.py")


def test_bad_return_type(tmp_path):
    pre = load_preprocessor(script(tmp_path, "def preprocess_handler(r):\n    return 5\n"))
    with pytest.raises(JobError, match="must return a dict"):
        pre("x")


def test_csv_handler_gets_raw_lines_without_header(tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n3,4\n")
    body = '''
    def preprocess_handler(line):
        a, b = line.split(",")
        return {"sum": int(a) + int(b), "raw": line}
    '''
    reader = iter_dataset(tmp_path / "d.csv", CsvFormat(header=True), preprocessor=script(tmp_path, body))
    assert pa.concat_tables(list(reader)).to_pydict() == {"sum": [3, 7], "raw": ["1,2", "3,4"]}


@pytest.mark.parametrize(("lines", "name", "text"), [(True, "d.jsonl", '{"a": 1}\n{"a": 2}\n'),
                                                     (False, "d.json", '[{"a": 1}, {"a": 2}]')])
def test_json_handler_gets_parsed_objects(tmp_path, lines, name, text):
    (tmp_path / name).write_text(text)
    reader = iter_dataset(tmp_path / name, JsonFormat(lines=lines), preprocessor=lambda obj: {"double": obj["a"] * 2})
    assert pa.concat_tables(list(reader)).to_pydict() == {"double": [2, 4]}


def test_everything_dropped_is_an_empty_dataset(tmp_path):
    (tmp_path / "d.csv").write_text("a\n1\n")
    reader = iter_dataset(tmp_path, CsvFormat(), preprocessor=lambda line: [])
    with pytest.raises(DatasetError, match="no records"):
        list(reader)
    assert reader.skips.to_dict() == {"preprocessor_dropped": 1}
