// Fetch one URL through an HTTP proxy with undici's ProxyAgent (what Node's own fetch is built on).
// usage: node fetch.js URL PROXY [CAFILE]
// Prints "STATUS <code>" and the body, or "ERROR <message>" (exit 2) when no HTTP response came back.
'use strict';
const fs = require('node:fs');
const { ProxyAgent, request } = require('undici');

const [url, proxy, ca] = process.argv.slice(2);
const agent = new ProxyAgent({ uri: proxy, requestTls: ca ? { ca: fs.readFileSync(ca) } : undefined });

request(url, { dispatcher: agent, headersTimeout: 20000, bodyTimeout: 20000 })
  .then(async (response) => {
    console.log(`STATUS ${response.statusCode}`);
    console.log(await response.body.text());
  })
  .catch((error) => {
    console.log(`ERROR ${error.message}`);
    process.exitCode = 2;
  })
  .finally(() => agent.close());
