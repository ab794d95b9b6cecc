// S1 subscribers: node subscribers.mjs <ws-url> <count> <events>
// Opens <count> graphql-transport-ws connections, each subscribed to the business change
// feed, prints "ready" once every one is acknowledged and subscribed, then records when each
// event (identified by the marker the writer put in the description) reaches each client.
// Ends when every client has <events> events, or on SIGTERM / stdin closing, printing
// {"arrivals": {marker: [epoch ms, ...]}, "duplicates": n, "closed": n, "subscribed": n,
// "failed": n} ("failed" counts connection errors, retried up to 20 times before the ack);
// on SIGTERM before "ready", what it has so far.
import WebSocket from "ws";

const [url, countText, eventsText] = process.argv.slice(2);
const count = Number(countText);
const expected = Number(eventsText);
const query = "subscription { changes(topics: [BUSINESS]) { cursor node { ... on Business { description } } } }";
const arrivals = {};
let duplicates = 0;
let closed = 0;
let subscribed = 0;
let failed = 0;
let finishedClients = 0;
const now = () => performance.timeOrigin + performance.now();

function client(attempt = 0) {
  const seen = new Set();
  let acknowledged = false;
  const ws = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false });
  ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
  ws.on("message", (data) => {
    const message = JSON.parse(data);
    if (message.type === "connection_ack") {
      acknowledged = true;
      ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
      if (++subscribed === count) console.log("ready");
    } else if (message.type === "next") {
      const at = now();
      const marker = message.payload?.data?.changes?.node?.description;
      if (!marker?.startsWith("fanout-")) return;
      if (seen.has(marker)) { duplicates += 1; return; }
      seen.add(marker);
      (arrivals[marker] ??= []).push(at);
      if (seen.size === expected && ++finishedClients === count) finish();
    }
  });
  // A refused or reset connection before the ack is tried again, as a real client would.
  ws.on("close", () => {
    if (!acknowledged && attempt < 20) setTimeout(() => client(attempt + 1), 250 * (attempt + 1));
    else closed += 1;
  });
  ws.on("error", () => { failed += 1; });
}

function finish() {
  process.stdout.write(JSON.stringify({ arrivals, duplicates, closed, subscribed, failed }) + "\n",
                       () => process.exit(0));
}

process.on("SIGTERM", finish);
process.stdin.on("end", finish);
process.stdin.resume();
// Open connections in batches so the server's accept queue is not flooded.
let opened = 0;
(function openBatch() {
  for (let i = 0; i < 200 && opened < count; i++, opened++) client();
  if (opened < count) setTimeout(openBatch, 20);
})();
