"""The ground-truth merge on hand-made captures and labels."""

import json

from sagewatch.datasets import iter_dataset, parse_dataset_format
from sagewatch.quality.merge import merge_ground_truth, merged_lines, write_merged


def _capture(event_id, output, inference_id=None):
    meta = {"eventId": event_id, "inferenceTime": "2024-01-01T10:00:00Z"}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    return json.dumps({"captureData": {"endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                                          "data": output, "encoding": "CSV"}},
                       "eventMetadata": meta, "eventVersion": "0"})


def _label(event_id, label):
    return json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": event_id},
                       "eventVersion": "0"})


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_matched_unmatched_and_duplicates(tmp_path):
    captures = _write(tmp_path / "c" / "10" / "a.jsonl", [
        _capture("e1", "0.9", inference_id="i1"),  # joined on inferenceId
        _capture("e2", "0.2"),                     # no inferenceId: joined on eventId
        _capture("e3", "0.4"),                     # no label
        _capture("e2", "0.7"),                     # duplicate capture id: first kept
        '{"captureData": {}}',                     # no id
        "not json",
    ])
    labels = _write(tmp_path / "g" / "10" / "a.jsonl", [
        _label("i1", "1"), _label("e2", "0"), _label("e1", "0"),  # e1 is not the key: i1 is
        '{"groundTruthData": {"encoding": "CSV"}, "eventMetadata": {"eventId": "x"}}',
    ])
    result = merge_ground_truth([captures], [labels])
    assert result.table.column("event_id").to_pylist() == ["i1", "e2"]
    assert result.table.column("ground_truth").to_pylist() == ["1", "0"]
    assert result.counts.to_dict() == {
        "captures": 6, "labels": 4, "merged": 2, "bad_capture_lines": 1, "captures_without_id": 1,
        "duplicate_capture_ids": 1, "bad_label_lines": 1, "duplicate_label_ids": 0, "unmatched_captures": 1,
        "unmatched_labels": 1}


def test_late_labels_join_and_the_last_label_wins(tmp_path):
    captures = _write(tmp_path / "c.jsonl", [_capture("e1", "0.9"), _capture("e2", "0.1")])
    early = _write(tmp_path / "g" / "2024" / "01" / "01" / "10" / "a.jsonl", [_label("e1", "0")])
    late = _write(tmp_path / "g" / "2024" / "01" / "01" / "13" / "b.jsonl", [_label("e1", "1"), _label("e2", "0")])
    result = merge_ground_truth([captures], [early, late])
    assert dict(zip(result.table.column("event_id").to_pylist(),
                    result.table.column("ground_truth").to_pylist())) == {"e1": "1", "e2": "0"}
    assert result.counts.duplicate_label_ids == 1 and result.counts.unmatched_captures == 0


def test_merged_records_are_read_as_sagemaker_merge_json(tmp_path):
    captures = _write(tmp_path / "c.jsonl", [_capture("e1", "0.9"), _capture("e2", "0.1")])
    labels = _write(tmp_path / "g.jsonl", [_label("e2", 'say "no"\n'), _label("e1", "1")])
    result = merge_ground_truth([captures], [labels])
    lines = merged_lines(result).to_pylist()
    assert json.loads(lines[1])["groundTruthData"] == {"data": 'say "no"\n', "encoding": "CSV"}
    out = tmp_path / "merged" / "m.jsonl"
    out.parent.mkdir()
    assert write_merged(result, out) == 2
    reader = iter_dataset(out.parent, parse_dataset_format({"sagemakerMergeJson": {"captureIndexNames":
                                                                                    ["endpointOutput"]}}))
    rows = [row for table in reader for row in table.to_pylist()]
    assert [r["_c0"] for r in rows] == ["0.9", "0.1"]
    assert rows[0]["_c1"] == "1"


def test_nothing_to_merge(tmp_path):
    captures = _write(tmp_path / "c.jsonl", [_capture("e1", "0.9")])
    labels = _write(tmp_path / "g.jsonl", [_label("other", "1")])
    result = merge_ground_truth([captures], [labels])
    assert result.table.num_rows == 0 and merged_lines(result).to_pylist() == []
    assert result.counts.unmatched_captures == 1 and result.counts.unmatched_labels == 1


def test_labels_written_as_json_numbers_are_accepted_as_text(tmp_path):
    captures = _write(tmp_path / "c.jsonl", [_capture(f"e{i}", "0.5") for i in range(5)])
    labels = _write(tmp_path / "g.jsonl", [
        _label("e0", 1), _label("e1", "0"), _label("e2", 2.5), _label("e3", True),  # a boolean is not a label
        _label("e1", 1.0),  # a number after a text label for the same id: the last one read wins
    ])
    result = merge_ground_truth([captures], [labels])
    assert dict(zip(result.table.column("event_id").to_pylist(), result.table.column("ground_truth").to_pylist())) \
        == {"e0": "1", "e1": "1", "e2": "2.5"}
    assert result.counts.bad_label_lines == 1 and result.counts.duplicate_label_ids == 1
