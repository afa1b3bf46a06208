// k6 scenario for scripts/load/oip.sh: one text on the RoBERTa model per call from VUS
// closed-loop clients, through the native Classify (API=native) or the Open Inference Protocol's
// ModelInfer with the text in contents.bytes_contents (API=oip), so the two protocols are
// compared with the same client. Prints one RESULT line: calls/s and p50/p99 latency in ms.
import grpc from 'k6/net/grpc';
import encoding from 'k6/encoding';
import { check } from 'k6';

const client = new grpc.Client();
client.load([__ENV.PROTO_ROOT], 'moodtracker/inference/v1/inference.proto', 'inference/open_inference.proto');
const texts = JSON.parse(open(__ENV.TEXTS_FILE));
const api = __ENV.API;

export const options = {
  vus: Number(__ENV.VUS),
  duration: __ENV.DURATION,
  summaryTrendStats: ['p(50)', 'p(99)'],
};

function call(text) {
  if (api === 'oip') {
    return client.invoke('inference.GRPCInferenceService/ModelInfer', {
      model_name: 'roberta',
      inputs: [{
        name: 'text',
        datatype: 'BYTES',
        shape: [1],
        contents: { bytes_contents: [encoding.b64encode(text)] },
      }],
    });
  }
  return client.invoke('moodtracker.inference.v1.Inference/Classify', {
    texts: [text],
    models: ['MODEL_KIND_ROBERTA'],
  });
}

export default function () {
  if (__ITER === 0) {
    client.connect(__ENV.ADDR, { plaintext: true });
  }
  const response = call(texts[(__VU * 7 + __ITER) % texts.length]);
  check(response, { ok: (r) => r && r.status === grpc.StatusOK });
}

export function handleSummary(data) {
  const m = data.metrics;
  const d = m.grpc_req_duration.values;
  const failed = m.checks ? m.checks.values.fails : 0;
  return {
    stdout: `RESULT k6-${api} concurrency=${__ENV.VUS} calls_per_s=${m.iterations.values.rate.toFixed(1)} ` +
      `p50_ms=${d['p(50)'].toFixed(2)} p99_ms=${d['p(99)'].toFixed(2)} failed=${failed}\n`,
  };
}
