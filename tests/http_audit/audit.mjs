// Runs graphql-http's server audits against the URL given and prints one JSON line:
// {"ok": n, "warn": [...], "error": [...]} (each failure with its id, name and reason).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = await Promise.all(serverAudits({ url, fetchFn: fetch }).map((audit) => audit.fn()));
const summary = { ok: 0, warn: [], error: [] };
for (const result of results) {
  if (result.status === 'ok') summary.ok += 1;
  else summary[result.status].push({ id: result.id, name: result.name, reason: result.reason });
}
console.log(JSON.stringify(summary));
