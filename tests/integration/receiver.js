// A merchant's webhook endpoint for the integration tests. Every delivery is
// checked with the Standard Webhooks library (npm "standardwebhooks"), which
// is independent of the relay's C signing code, then answered the way the
// test configured its path:
//   ok | status:<code> | retry:<code>:<retry-after seconds> | redirect |
//   slow:<ms> | reset | flaky:<n failures first> | hang |
//   echo (200 with the body it got back, as some endpoints answer) | slowecho:<ms>
// Control (loopback only, like everything here):
//   POST /_config {"/path": {"mode": "...", "secrets": ["whsec_..."]}}
//   GET  /_log    every delivery received, in order
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const { Webhook } = require("standardwebhooks");

const config = {};
const log = [];
const seen = {};

function verify(secrets, body, headers) {
  for (const secret of secrets || []) {
    try {
      new Webhook(secret).verify(body, headers);
      return true;
    } catch (e) {
      /* try the next secret */
    }
  }
  return false;
}

// node receiver.js [CERT KEY]: with a certificate and key it serves HTTPS.
const [certFile, keyFile] = process.argv.slice(2);
const handler = (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url === "/_config") {
      Object.assign(config, JSON.parse(body));
      res.writeHead(204).end();
      return;
    }
    if (req.url === "/_log") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(log));
      return;
    }
    const path = req.url.split("?")[0];
    const c = config[path] || { mode: "ok", secrets: [] };
    seen[path] = (seen[path] || 0) + 1;
    const headers = {
      "webhook-id": req.headers["webhook-id"],
      "webhook-timestamp": req.headers["webhook-timestamp"],
      "webhook-signature": req.headers["webhook-signature"],
    };
    log.push({
      path,
      n: seen[path],
      verified: verify(c.secrets, body, headers),
      headers: req.headers,
      body,
      at: Date.now(),
    });
    const [mode, a, b] = (c.mode || "ok").split(":");
    if (mode === "ok") res.writeHead(200).end("thanks");
    else if (mode === "status") res.writeHead(Number(a)).end("status " + a);
    else if (mode === "retry") res.writeHead(Number(a), { "Retry-After": b }).end("later");
    else if (mode === "redirect") res.writeHead(302, { Location: "/elsewhere" }).end();
    else if (mode === "slow") setTimeout(() => res.writeHead(200).end("slow"), Number(a));
    else if (mode === "echo") res.writeHead(200, { "Content-Type": "application/json" }).end(body);
    else if (mode === "slowecho") setTimeout(() => res.writeHead(200).end(body), Number(a));
    else if (mode === "reset") req.socket.destroy();
    else if (mode === "flaky") res.writeHead(seen[path] <= Number(a) ? 500 : 200).end("x".repeat(20000));
    else if (mode === "hang") {
      /* never answer */
    } else res.writeHead(500).end("unknown mode");
  });
};
const server = certFile
  ? https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, handler)
  : http.createServer(handler);

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
