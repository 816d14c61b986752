"""A real OTLP/HTTP trace receiver for the tests: it decodes each
`ExportTraceServiceRequest` that moat's exporter POSTs to /v1/traces with the
official OpenTelemetry protobuf definitions (PyPI's `opentelemetry-proto`),
and keeps every span as a plain dict.

Neither Jaeger nor the OpenTelemetry Collector is packaged for Debian,
PyPI or npm; this is the wire format's own decoder, not a stand-in for
moat's side.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


def _value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _span(span, resource: dict) -> dict:
    return {
        "name": span.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "kind": Span.SpanKind.Name(span.kind),
        "status": Status.StatusCode.Name(span.status.code),
        "attributes": {a.key: _value(a.value) for a in span.attributes},
        "resource": resource,
    }


class Receiver:
    """Listens on 127.0.0.1 (a free port) until stopped."""

    def __init__(self):
        self.spans: list[dict] = []
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                    self.send_error(404 if self.path != "/v1/traces" else 415)
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                with receiver.lock:
                    receiver.requests += 1
                    for resource_spans in request.resource_spans:
                        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                        for scope_spans in resource_spans.scope_spans:
                            receiver.spans.extend(_span(s, resource) for s in scope_spans.spans)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 60.0) -> list[dict]:
        """The spans, once `predicate(spans)` holds (a safety net of
        `timeout` seconds, not a measure of speed)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                spans = list(self.spans)
            if predicate(spans):
                return spans
            if time.monotonic() > deadline:
                raise AssertionError(f"the spans never matched: {[s['name'] for s in spans]}")
            time.sleep(0.1)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
