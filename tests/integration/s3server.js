// An S3-compatible server for the tests (@20minutes/s3rver), on 127.0.0.1.
// It checks SigV4 signatures (header and presigned) and expiry; the access
// key and secret are both S3RVER. Prints {"port": N} once listening.
//   node s3server.js DIR BUCKET [PORT]
"use strict";
const S3rver = require("@20minutes/s3rver");

const [dir, bucket, port] = process.argv.slice(2);
new S3rver({
  port: Number(port || 0),
  address: "127.0.0.1",
  directory: dir,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
})
  .run()
  .then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + "\n"));
