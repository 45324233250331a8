"""Fuzz family for the model server: HTTP requests to a real scikit-learn model (4 features) served from
a thread of the worker (``sagewatch.serving.start_server``). Every problem of a request is the client's:
an answer must be 2xx or 4xx with a plain message, never a 5xx or a traceback."""

from __future__ import annotations

import gzip
import http.client
import json
import random
from typing import Any

from sw_fuzz_inputs import deep_json_text, expect

FEATURES = 4
LIMIT_BYTES = 6 * 1024 * 1024


def _rows(rng: random.Random, n: int, width: int = FEATURES) -> list[list[float]]:
    return [[round(rng.uniform(-3, 3), 3) for _ in range(width)] for _ in range(n)]


def _csv(rows: list[list[Any]]) -> bytes:
    return "\n".join(",".join(str(v) for v in row) for row in rows).encode()


def generate_request(rng: random.Random, ctx: Any) -> dict[str, Any]:
    n = rng.choice([1, 2, 10, 100])
    rows = _rows(rng, n)
    kind = rng.choice(["csv", "json", "csv", "json", "wrong_width", "nan", "text", "header", "empty", "deep",
                       "too_large", "bad_type", "gzip", "method", "path", "garbage", "ragged", "accept",
                       "json_shapes", "inf", "raw"])
    if kind == "raw":  # framing a client library would not send
        body = _csv(rows)
        head = rng.choice([
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: abc\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: -5\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"FFFFFFFFFFFF\r\n1,2\r\n0\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\nContent-Length: 0\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: 99999999999\r\n\r\n" + body,
            b"BREW /invocations HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nContent-Encoding: br\r\n\r\n" + body,
        ])
        return {"method": "RAW", "path": "", "headers": {}, "body": head, "rows": None, "kind": kind}
    req = {"method": "POST", "path": "/invocations", "headers": {}, "body": b"", "rows": None, "kind": kind}
    if kind == "csv":
        req.update(body=_csv(rows) + rng.choice([b"", b"\n"]), rows=n)
        req["headers"]["Content-Type"] = rng.choice(["text/csv", "text/csv; charset=utf-8", "TEXT/CSV"])
    elif kind == "json":
        body = rng.choice([rows, {"instances": rows}, {"instances": [{"features": r} for r in rows]}])
        req.update(body=json.dumps(body).encode(), rows=n)
        req["headers"]["Content-Type"] = "application/json"
    elif kind == "inf":
        rows[0][0] = rng.choice(["inf", "-inf", "1e999"])
        req.update(body=_csv(rows))
        req["headers"]["Content-Type"] = "text/csv"
    elif kind in ("wrong_width", "nan", "text", "header", "ragged"):
        if kind == "wrong_width":
            rows = _rows(rng, n, rng.choice([1, 3, 5, 40]))
        elif kind == "nan":
            rows[rng.randrange(n)][rng.randrange(FEATURES)] = rng.choice(["nan", "NaN", ""])
        elif kind == "text":
            rows[rng.randrange(n)][rng.randrange(FEATURES)] = rng.choice(["abc", "x y", "'q'"])
        elif kind == "header":
            rows.insert(0, ["a", "b", "c", "d"])
        else:
            rows[-1] = rows[-1][:2]
        as_json = rng.random() < 0.4
        req["body"] = json.dumps(rows).encode() if as_json else _csv(rows)
        req["headers"]["Content-Type"] = "application/json" if as_json else "text/csv"
    elif kind == "empty":
        req["headers"]["Content-Type"] = rng.choice(["text/csv", "application/json"])
    elif kind == "deep":
        req["body"] = deep_json_text(rng.choice([2_000, 100_000])).encode()
        req["headers"]["Content-Type"] = "application/json"
    elif kind == "too_large":
        req["body"] = _csv(rows) + b"\n" + b"1,2,3,4\n" * ((LIMIT_BYTES + rng.choice([1, 4_000_000])) // 8)
        req["headers"]["Content-Type"] = "text/csv"
    elif kind == "bad_type":
        req.update(body=_csv(rows))
        req["headers"]["Content-Type"] = rng.choice([";;;", "", "image/png", "text/", "application/x-npy",
                                                     "application/json; charset=latin-1", "*/*", "text/csv;;"])
    elif kind == "gzip":
        req.update(body=gzip.compress(_csv(rows)), rows=n)
        req["headers"].update({"Content-Type": "text/csv", "Content-Encoding": "gzip"})
    elif kind == "method":
        req["method"] = rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS"])
        req["body"] = _csv(rows)
        req["headers"]["Content-Type"] = "text/csv"
    elif kind == "path":
        req.update(method=rng.choice(["GET", "POST"]), path=rng.choice(["/", "/invocation", "/ping/x", "/%ff"]))
    elif kind == "garbage":
        req["body"] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 50, 3000])))
        req["headers"]["Content-Type"] = rng.choice(["text/csv", "application/json", "application/x-npy"])
    elif kind == "accept":
        req.update(body=_csv(rows), rows=n)
        req["headers"].update({"Content-Type": "text/csv",
                               "Accept": rng.choice(["text/csv", "application/json", "*/*", "text/html",
                                                     "application/json;q=0.5, text/csv", ";;;", "x/y"])})
        if req["headers"]["Accept"] in ("text/html", ";;;", "x/y"):
            req["rows"] = None
    else:  # json_shapes
        req["body"] = json.dumps(rng.choice([{}, {"instances": []}, [], [[]], {"inputs": "x"}, [[1, [2]]], 5,
                                             {"instances": [{"feature": [1]}]}, [None] * 4])).encode()
        req["headers"]["Content-Type"] = "application/json"
    return req


def _server(ctx: Any) -> Any:
    if getattr(ctx, "server", None) is None:
        import joblib
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        from sagewatch.serving import start_server
        rng = np.random.default_rng(7)
        x = rng.normal(size=(200, FEATURES))
        model = LogisticRegression().fit(x, (x[:, 0] + x[:, 1] > 0).astype(int))
        folder = ctx.root / "model"
        folder.mkdir()
        joblib.dump(model, folder / "model.joblib")
        ctx.server = start_server(folder)
    return ctx.server


def _raw_exchange(port: int, data: bytes) -> tuple[int | None, str]:
    """Send bytes as they are; the status of the answer (None when the server closed without one)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionError, TimeoutError):
            pass
    if not answer:
        return None, ""
    status_line, _, rest = answer.partition(b"\r\n")
    parts = status_line.split()
    expect(len(parts) >= 2 and parts[1].isdigit(), f"not an HTTP answer: {answer[:120]!r}")
    return int(parts[1]), rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def run_request(req: dict[str, Any], ctx: Any) -> tuple[str, Any]:
    server = _server(ctx)
    if req["kind"] == "raw":
        status, text = _raw_exchange(server.port, req["body"])
        if status is None:
            return "error", "connection closed without an answer"
        expect(status < 500 or status == 501 and req["body"].startswith(b"BREW"),
               f"raw request answered {status}: {text[:200]!r}")
        expect(status < 400 or (text.strip() and "<html" not in text.lower()), f"{status} with body {text[:200]!r}")
        expect("Traceback" not in text, f"a traceback in the answer: {text[:200]!r}")
        return ("error", f"{status}") if status >= 400 else ("ok", status)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        headers = dict(req["headers"])
        connection.request(req["method"], req["path"], body=req["body"] or None, headers=headers)
        response = connection.getresponse()
        status, body = response.status, response.read()
        content_type = response.getheader("Content-Type") or ""
    except (ConnectionError, http.client.HTTPException) as e:
        if req["kind"] == "too_large":  # the server may close before reading a refused body
            return "error", f"connection closed: {e}"
        raise
    finally:
        connection.close()
    text = body.decode("utf-8", "replace")
    expect(status < 500, f"{req['kind']} request answered {status}: {text[:200]!r}")
    expect("Traceback" not in text, f"a traceback in the answer: {text[:200]!r}")
    if req["kind"] == "too_large":
        expect(status == 413, f"a body over the advertised 6 MB answered {status}")
    if status >= 400:
        expect(bool(text.strip()) and "html" not in content_type, f"{status} with body {text[:200]!r}")
        expect(req["rows"] is None, f"a valid {req['kind']} request answered {status}: {text[:200]!r}")
        return "error", f"{status} {text[:120]}"
    if req["rows"] is not None:
        if "json" in content_type:
            predictions = json.loads(text)
            predictions = predictions.get("predictions", predictions) if isinstance(predictions, dict) else predictions
            count = len(predictions)
        else:
            count = len([line for line in text.splitlines() if line.strip()])
        expect(count == req["rows"], f"{count} predictions for {req['rows']} rows")
    return "ok", status
