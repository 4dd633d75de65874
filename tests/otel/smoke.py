"""A real OpenTelemetry SDK exporter against a running tokentally.

The exporter is configured only by the standard environment variables
(OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_COMPRESSION), as an
application would be. It sends GenAI spans the way instrumentations emit them, plus an ordinary
span, then reads the showback API with a viewer token and checks the amounts, computed by hand
from the shipped price catalog. Exits non-zero on any difference.
"""

import json
import os
import sys
import time
import urllib.request
from datetime import datetime, timezone
from decimal import Decimal

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

TEAM = "otel-smoke"
# gpt-4o-mini-2024-07-18 (0.15 / 0.075 cached / 0.60 per 1M): 600,000 x 0.15 + 400,000 x 0.075
# + 100,000 x 0.60 = 0.18; o3-mini (1.10 / 4.40, reasoning at the output rate): 10,000 x 1.1
# + 1,000 x 4.4 + 4,000 x 4.4 = 0.033. Total 0.213.
EXPECTED = Decimal("0.213")


class CheckedExporter(OTLPSpanExporter):
    """Remembers whether every export succeeded."""

    results = []

    def export(self, spans):
        result = super().export(spans)
        self.results.append(result)
        return result


def main():
    started = datetime.now(timezone.utc)
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-smoke", "deployment.environment": "ci"}))
    exporter = CheckedExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tokentally.ci.otel_smoke")

    with tracer.start_as_current_span("POST /answer"):
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 1_000_000,
                "gen_ai.usage.cache_read.input_tokens": 400_000,
                "gen_ai.usage.output_tokens": 100_000,
                "gen_ai.usage.total_tokens": 1_100_000,
                "gen_ai.conversation.id": "smoke-conversation",
                "tokentally.team": TEAM,
            })
        with tracer.start_as_current_span("chat o3-mini") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "o3-mini",
                "gen_ai.usage.input_tokens": 10_000,
                "gen_ai.usage.output_tokens": 5_000,
                "gen_ai.usage.reasoning_tokens": 4_000,
                "tokentally.team": TEAM,
            })
    provider.shutdown()
    if len(exporter.results) != 3 or any(r != SpanExportResult.SUCCESS for r in exporter.results):
        sys.exit(f"the exporter did not succeed: {exporter.results}")

    month = started.strftime("%Y-%m")
    url = f"{os.environ['TOKENTALLY_URL']}/api/v1/showback?month={month}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {os.environ['TOKENTALLY_VIEWER_TOKEN']}"})
    team = None
    for _ in range(20):
        with urllib.request.urlopen(request, timeout=10) as r:
            showback = json.load(r)
        team = next((t for t in showback["teams"] if t["team"] == TEAM), None)
        if team is not None:
            break
        time.sleep(0.25)
    if team is None:
        sys.exit(f"no {TEAM} team in showback: {json.dumps(showback)[:2000]}")
    cost = Decimal(team["token_cost_exact"])
    if cost != EXPECTED or team["requests"] != 2 or team["tokens"]["reasoning"] != 4000:
        sys.exit(f"unexpected showback for {TEAM}: cost {cost} (expected {EXPECTED}), {json.dumps(team)}")
    print(f"otel smoke: 3 spans exported, 2 usage events, {TEAM} costs {cost} as computed by hand")


if __name__ == "__main__":
    main()
