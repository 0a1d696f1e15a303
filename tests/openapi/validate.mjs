// validate.mjs DOC [RECORD.jsonl] -- validate quantd's OpenAPI document
// (swagger-parser: the document against the OpenAPI 3.1 schema, every
// $ref resolved), then every recorded response against the schema the
// document gives its path, method and status (Ajv, JSON Schema 2020-12).
// A record line: {"method","path","status","ctype","body"} with the
// concrete path (query stripped here).  An error answer to a path the
// document does not have must still be an Error.  Prints one line per failure and a
// summary; exits 1 on any failure, also for a response whose path,
// method or status the document does not name.
import fs from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, recPath] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(docPath, 'utf8'));
let api;
try {
  await SwaggerParser.validate(structuredClone(raw));
  api = await SwaggerParser.dereference(structuredClone(raw));
} catch (e) {
  console.log('not ok - the OpenAPI document is invalid: ' + e.message);
  process.exit(1);
}
console.log('ok - the OpenAPI document is valid OpenAPI ' + api.openapi);
if (!recPath) process.exit(0);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const routes = Object.keys(api.paths).map((p) => ({
  p,
  re: new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{[^/}]+\}/g, '[^/]+') + '$'),
}));
const cache = new Map();
let n = 0, bad = 0;
const seen = new Set();
for (const line of fs.readFileSync(recPath, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  const path = r.path.split('?')[0];
  const route = routes.find((x) => x.re.test(path));
  const op = route && api.paths[route.p][r.method.toLowerCase()];
  n++;
  const where = `${r.method} ${path} ${r.status}`;
  if (!op && r.status >= 400 && api.components.schemas.Error) {
    // A path no route has (404) or cannot be a path (400, 414): the
    // document's Error schema, as every error.
    const v = cache.get('Error') || ajv.compile(api.components.schemas.Error);
    cache.set('Error', v);
    let b;
    try { b = JSON.parse(r.body); } catch { b = undefined; }
    if (!v(b)) { bad++; console.log(`not ok - ${where}: not an Error: ${String(r.body).slice(0, 120)}`); }
    continue;
  }
  if (!op) { bad++; console.log(`not ok - ${where}: not in the document`); continue; }
  const resp = op.responses[String(r.status)] || op.responses.default;
  if (!resp) { bad++; console.log(`not ok - ${where}: status not documented`); continue; }
  seen.add(`${r.method} ${route.p} ${r.status}`);
  const media = resp.content && (resp.content[r.ctype] || resp.content['application/json']);
  if (!media) {
    if (r.body !== '' && r.body !== undefined) { bad++; console.log(`not ok - ${where}: a body where none is documented`); }
    continue;
  }
  let body = r.body;
  if ((r.ctype || '').startsWith('application/json')) {
    try { body = JSON.parse(r.body); } catch { bad++; console.log(`not ok - ${where}: not JSON`); continue; }
  }
  const key = `${route.p} ${r.method} ${r.status}`;
  if (!cache.has(key)) cache.set(key, ajv.compile(media.schema || {}));
  const v = cache.get(key);
  if (!v(body)) {
    bad++;
    console.log(`not ok - ${where}: ${ajv.errorsText(v.errors)} in ${String(r.body).slice(0, 200)}`);
  }
}
console.log(`${n - bad} of ${n} recorded responses match the document (${seen.size} path/method/status combinations)`);
process.exit(bad ? 1 : 0);
