// Real clients against the server, one scenario per run (tests/test_clients.py drives them):
//   node clients.mjs subscribe <apollo|urql|sse> <url> <businessId>
//       prints {"ready":true} once subscribed, then {"event": <first event>} and exits
//   node clients.mjs batch <url>           Apollo's BatchHttpLink: two queries in one request
//   node clients.mjs persisted <url> <manifest>   Apollo's persisted-query link, ids from the
//                                                 manifest generate-persisted-query-manifest wrote
//   node clients.mjs ws-hash <wsUrl> <sha256>     graphql-ws sending a hash and no document
//   node clients.mjs urql-persisted <url>          urql's persistedExchange (automatic persisted
//                                                 queries), the same query twice
// Every line printed is JSON; a failure prints {"error": "..."} and exits 1.
import { ApolloClient, InMemoryCache, HttpLink, gql } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { Client as UrqlClient, fetchExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import { readFile } from "node:fs/promises";
import WebSocket from "ws";

const CHANGED = `subscription Changed($id: ID!) { businessChanged(id: $id) { op node { ... on Business { name } } } }`;
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const fail = (error) => { print({ error: String(error?.message ?? error) }); process.exit(1); };
const [scenario, ...args] = process.argv.slice(2);

function apolloSubscribe(url, id, onEvent) {
  const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
  return client.subscribe({ query: gql(CHANGED), variables: { id } }).subscribe({
    next: (result) => (result.error ? fail(result.error) : onEvent(result.data.businessChanged)),
    error: fail,
  });
}

function urqlSubscribe(url, id, onEvent) {
  const client = new UrqlClient({ url, exchanges: [fetchExchange], fetchSubscriptions: true });
  return client.subscription(CHANGED, { id }).subscribe((result) =>
    result.error ? fail(result.error) : onEvent(result.data.businessChanged));
}

function sseSubscribe(url, id, onEvent) {
  const client = createSseClient({ url, singleConnection: false });
  return client.subscribe({ query: CHANGED, variables: { id } }, {
    next: (result) => (result.errors ? fail(JSON.stringify(result.errors)) : onEvent(result.data.businessChanged)),
    error: fail,
    complete: () => {},
  });
}

async function main() {
  if (scenario === "subscribe") {
    const [kind, url, id] = args;
    const subscribe = { apollo: apolloSubscribe, urql: urqlSubscribe, sse: sseSubscribe }[kind];
    subscribe(url, id, (event) => { print({ event }); process.exit(0); });
    print({ ready: true });
    setTimeout(() => fail("no event within 60 s"), 60_000);
  } else if (scenario === "batch") {
    const [url] = args;
    let requests = 0;
    const counting = (input, init) => { requests += 1; return fetch(input, init); };
    const client = new ApolloClient({ link: new BatchHttpLink({ uri: url, batchMax: 5, batchInterval: 20, fetch: counting }),
                                      cache: new InMemoryCache() });
    const [a, b] = await Promise.all([
      client.query({ query: gql`query Roots { categories { slug } }` }),
      client.query({ query: gql`query One($slug: String!) { category(slug: $slug) { slug } }`, variables: { slug: "restaurants" } }),
    ]);
    print({ requests, roots: a.data.categories.length, one: b.data.category });
    process.exit(0);
  } else if (scenario === "persisted") {
    const [url, manifestPath] = args;
    const sent = [];
    const recording = (input, init) => { sent.push(JSON.parse(init.body)); return fetch(input, init); };
    const ids = generatePersistedQueryIdsFromManifest({
      loadManifest: async () => JSON.parse(await readFile(manifestPath, "utf8")) });
    const link = new PersistedQueryLink(ids).concat(new HttpLink({ uri: url, fetch: recording }));
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const result = await client.query({ query: gql`query AllowedRoots { categories { slug } }` });
    print({ roots: result.data.categories.length, sentDocument: sent.some((body) => "query" in body && body.query) });
    process.exit(0);
  } else if (scenario === "ws-hash") {
    const [url, sha256] = args;
    const client = createWsClient({ url, webSocketImpl: WebSocket, lazy: true });
    const result = await new Promise((resolve, reject) => {
      let value;
      client.subscribe({ query: "", extensions: { persistedQuery: { version: 1, sha256Hash: sha256 } } },
                       { next: (v) => { value = v; }, error: reject, complete: () => resolve(value) });
    });
    await client.dispose();
    print(result);
    process.exit(0);
  } else if (scenario === "urql-persisted") {
    const [url] = args;
    const sent = [];
    const recording = (input, init) => {
      const address = new URL(typeof input === "string" ? input : input.url);
      sent.push({ method: init?.method ?? "GET", hasQuery: address.searchParams.has("query")
                  || Boolean(init?.body && JSON.parse(init.body).query) });
      // (without urql's abort signal: it aborts a finished request when the query is torn
      // down, and Node reports the rejection as uncaught now and then)
      return fetch(input, { ...init, signal: undefined });
    };
    const client = new UrqlClient({ url, fetch: recording, requestPolicy: "network-only",
                                    exchanges: [persistedExchange({ preferGetForPersistedQueries: true }), fetchExchange] });
    const query = "query UrqlPersisted { categories { slug } }";
    const answers = [];
    for (const _ of [1, 2]) {
      const result = await client.query(query, {}).toPromise();
      if (result.error) fail(result.error);
      answers.push(result.data.categories.length);
    }
    print({ answers, sent });
    process.exit(0);
  } else {
    fail(`unknown scenario ${scenario}`);
  }
}

main().catch(fail);
