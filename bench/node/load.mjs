// One load run with autocannon: node load.mjs <plan.json>
// The plan: {url, connections, seconds, requests: [{body, headers}]}; each request sent takes
// the next body of the list (round robin), so variables vary as they would in real traffic.
// Prints one JSON line: requests/s, latency percentiles (from every response, not
// autocannon's coarse buckets), HTTP errors and responses carrying GraphQL errors.
import autocannon from "autocannon";
import { readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const url = new URL(plan.url);
let next = 0;
let graphqlErrors = 0;
let firstError = null;
const latencies = [];

function hasErrors(body) {
  try {
    const errors = JSON.parse(body).errors;
    return Array.isArray(errors) && errors.length > 0 ? errors[0].message : null;
  } catch {
    return "response is not JSON";
  }
}

const instance = autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.seconds,
  timeout: 30,
  requests: [{
    setupRequest(request) {
      const item = plan.requests[next++ % plan.requests.length];
      return {
        ...request, method: "POST", path: url.pathname,
        headers: { "content-type": "application/json", ...(item.headers ?? {}) },
        body: item.body,
      };
    },
    onResponse(status, body) {
      const error = status === 200 ? hasErrors(body) : null;
      if (error !== null) {
        graphqlErrors += 1;
        firstError ??= error;
      }
    },
  }],
});
instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));

const result = await instance;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2) : null;
console.log(JSON.stringify({
  requests: latencies.length,
  seconds: result.duration,
  requests_per_second: +(latencies.length / result.duration).toFixed(1),
  p50_ms: pct(0.5), p95_ms: pct(0.95), p99_ms: pct(0.99), max_ms: pct(1),
  non_2xx: result.non2xx, socket_errors: result.errors, timeouts: result.timeouts,
  graphql_errors: graphqlErrors, first_error: firstError,
}));
