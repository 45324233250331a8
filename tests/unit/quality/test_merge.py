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


def _result(tmp_path, name, capture_text, label_text):
    captures = tmp_path / name / "c.jsonl"
    labels = tmp_path / name / "g.jsonl"
    captures.parent.mkdir(parents=True)
    captures.write_bytes(capture_text.encode())
    labels.write_bytes(label_text.encode())
    result = merge_ground_truth([captures], [labels])
    return result.table.to_pydict(), result.counts.to_dict(), merged_lines(result).to_pylist()


def test_whole_file_parse_and_line_by_line_parse_agree(tmp_path):
    captures = [_capture(f"e{i}", f"0.{i}", inference_id=f"i{i}" if i % 2 else None) for i in range(6)]
    captures.insert(2, _capture("e1", "0.5", inference_id="i1"))  # a duplicate
    labels = [_label(f"i{i}" if i % 2 else f"e{i}", str(i % 2)) for i in range(5)] + [_label("i1", "0")]
    clean = _result(tmp_path, "clean", "\n".join(captures) + "\n", "\n".join(labels))  # no final line break
    crlf = _result(tmp_path, "crlf", "\r\n".join(captures) + "\r\n", "\r\n".join(labels) + "\r\n")
    blank_lines = _result(tmp_path, "blank", "\n\n".join(captures) + "\n", "\n".join(labels) + "\n\n")
    spaced = _result(tmp_path, "spaced", "\n  \n".join(captures), "\n".join(labels))
    assert clean == crlf == blank_lines == spaced
    table, counts, lines = clean
    assert table["event_id"] == ["e0", "i1", "e2", "i3", "e4"]
    assert table["ground_truth"] == ["0", "0", "0", "1", "0"]  # i1: the last label read wins
    assert counts["duplicate_capture_ids"] == 1 and counts["duplicate_label_ids"] == 1
    assert counts["captures"] == 7 and counts["unmatched_captures"] == 1 and counts["merged"] == 5
    assert json.loads(lines[1])["captureData"]["endpointOutput"]["data"] == "0.1"


def test_a_line_that_does_not_parse_is_counted_in_a_clean_looking_file(tmp_path):
    good = [_capture("e1", "0.9"), _capture("e2", "0.1")]
    wrong_type = '{"captureData": {}, "eventMetadata": {"eventId": 7}}'
    broken = '{"captureData": {"x": [1, 2}, "eventMetadata": {"eventId": "e3"}}'
    table, counts, _ = _result(tmp_path, "bad", "\n".join([good[0], wrong_type, broken, good[1]]) + "\n",
                               "\n".join([_label("e1", "1"), _label("e2", "0")]) + "\n")
    assert table["event_id"] == ["e1", "e2"]
    assert counts["bad_capture_lines"] == 2 and counts["captures"] == 4 and counts["merged"] == 2


def test_a_file_that_is_not_utf8_is_named_with_the_byte_offset(tmp_path):
    import pytest
    from sagewatch.errors import DatasetError
    captures = tmp_path / "c.jsonl"
    captures.write_bytes((_capture("e1", "0.9") + "\n").encode() + b'{"x": "\xe9"}\n')
    labels = _write(tmp_path / "g.jsonl", [_label("e1", "1")])
    offset = len(_capture("e1", "0.9")) + 8
    with pytest.raises(DatasetError, match=f"c.jsonl is not UTF-8 text \\(byte offset {offset}\\)"):
        merge_ground_truth([captures], [labels])


def test_write_merged_writes_each_record_on_its_own_line(tmp_path):
    captures = _write(tmp_path / "c.jsonl", [_capture("e1", "0.9"), _capture("e2", "0.1") + "  "])
    labels = _write(tmp_path / "g.jsonl", [_label("e1", "1"), _label("e2", "0")])
    result = merge_ground_truth([captures], [labels])
    out = tmp_path / "m.jsonl"
    assert write_merged(result, out) == 2
    written = out.read_text().split("\n")
    assert written[2] == "" and len(written) == 3
    assert [json.loads(line)["groundTruthData"]["data"] for line in written[:2]] == ["1", "0"]
    assert written == merged_lines(result).to_pylist() + [""]


def test_labels_with_characters_json_must_escape_round_trip(tmp_path):
    texts = ['back\\slash', 'tab\there', 'quote"d', 'bell\x07', 'plain', 'é']
    captures = _write(tmp_path / "c.jsonl", [_capture(f"e{i}", "0.5") for i in range(len(texts))])
    labels = _write(tmp_path / "g.jsonl", [_label(f"e{i}", t) for i, t in enumerate(texts)])
    lines = merged_lines(merge_ground_truth([captures], [labels])).to_pylist()
    assert [json.loads(line)["groundTruthData"]["data"] for line in lines] == texts
    plain = merged_lines(merge_ground_truth([captures], [_write(tmp_path / "p.jsonl", [_label("e0", "1")])]))
    assert plain.to_pylist()[0].endswith(',"groundTruthData":{"data":"1","encoding":"CSV"}}')


def _messy_lines(rng, n, label):
    lines = []
    for _ in range(n):
        k = rng.random()
        if label:
            line = _label(rng.choice([f"e{rng.randint(0, 20)}", f"i{rng.randint(0, 20)}"]),
                          rng.choice(["0", "1", "a\\b", 'q"', "t\tx", "é"]))
        else:
            line = _capture(f"e{rng.randint(0, 20)}", rng.choice(["0.5", "x\"y", "é"]),
                            inference_id=f"i{rng.randint(0, 20)}" if rng.random() < 0.5 else None)
        if k < 0.04:
            line = "not json"
        elif k < 0.08:
            line = ""
        elif k < 0.10:
            line = '{"eventMetadata": {"eventId": 5}}' if not label else '{"groundTruthData": {"data": 1}}'
        elif k < 0.12:
            line = line + "  "
        lines.append(line)
    return lines


def test_messy_files_read_whole_or_line_by_line_give_the_same_merge(tmp_path):
    import random
    for case in range(25):
        rng = random.Random(case)
        captures = _messy_lines(rng, rng.randint(0, 40), label=False)
        labels = _messy_lines(rng, rng.randint(0, 40), label=True)
        lf = _result(tmp_path, f"lf{case}", "\n".join(captures) + "\n", "\n".join(labels) + "\n")
        crlf = _result(tmp_path, f"crlf{case}", "\r\n".join(captures) + "\r\n", "\r\n".join(labels) + "\r\n")
        assert lf == crlf, case
        table, counts, lines = lf
        assert counts["captures"] == sum(1 for c in captures if c.strip())
        assert counts["merged"] == len(lines) == len(table["event_id"])
