// The requests bench/fuzz.js sends, in groups: each group's writes are compared before and after it runs.
const { PNG } = require('pngjs');
const jpeg = require('jpeg-js');

/** Route parameter values: traversal, encoded separators, control and odd unicode, injection-looking, huge numbers. */
const hostileSegments = [
  '..',
  '.',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  'a%2Fb',
  '%2F',
  '%5C',
  '..%5C..%5Cwindows',
  '%00',
  'a%00b',
  '%0d%0aSet-Cookie:%20x=1',
  '%E2%80%AE%E2%80%8B',
  '%F0%9F%92%A5',
  '%C3%BC%C3%B1%C3%AF',
  '%EF%BF%BF',
  '%FF%FE',
  '%C0%AF',
  "'%20OR%201=1--",
  '%22%3B%20DROP%20TABLE%20runs%3B--',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%24%7Bjndi:ldap:%2F%2Fx%7D',
  '%7B%7B7*7%7D%7D',
  'SELECT%20*%20FROM%20c',
  'a'.repeat(600),
  '-1',
  '0',
  '99999999999999999999999',
  '1e309',
  'NaN',
  '%25',
  '%25%32%66',
  'CON',
  '%20',
  ';ls',
  '$(id)',
  '__proto__',
  'constructor',
  'fuzz-seed--zzzz',
  'other-pipe--0000000000000000',
  'fuzz-seed%2Fruns',
  '*',
];

/** Query values for any parameter: wrong types, limits, control characters, and invalid continuation tokens. */
const hostileQueryValues = [
  '-1',
  '0',
  '1e309',
  'abc',
  '99999999999',
  '',
  '%00',
  'a'.repeat(5000),
  '%27%20OR%201%3D1',
  '%5B%5D',
  'true',
  'junk',
  '%7B%22token%22%3A1%7D',
  '%5B%7B%22compositeToken%22%3A%22x%22%2C%22range%22%3A%7B%7D%7D%5D',
  Buffer.from('{"token":"+RID:~abc"}').toString('base64'),
  '%FF',
];

const genericQueryParameters = ['top', 'continuation', 'metric', 'version', 'minutes', 'status', 'sortBy', 'order', 'trigger'];

function validSpec(name) {
  return {
    name,
    scenario: 'image-classification',
    data: { source: { container: 'canopy-landing', prefix: `${name}/` } },
    compute: { target: 'local-spark' },
    candidates: { classifiers: [{ type: 'logistic_regression', grid: { regParam: [0.01] } }] },
  };
}

const deep = (depth, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

/** Bodies that are not what any route takes: each with the content type it claims. */
function hostileBodies() {
  const json = 'application/json';
  return [
    ['empty', json, ''],
    ['not json', json, 'not json'],
    ['truncated json', json, '{"spec": {"name": "x"'],
    ['trailing garbage', json, '{} garbage'],
    ['json null', json, 'null'],
    ['json number', json, '42'],
    ['json string', json, '"spec"'],
    ['json array', json, '[1,2,3]'],
    ['json true', json, 'true'],
    ['huge number', json, '{"dataVersion": 1e999, "spec": 1e999, "version": 99999999999999999999999}'],
    ['negative numbers', json, '{"dataVersion": -1, "pageSize": -5, "concurrency": -1, "percent": -100}'],
    ['wrong types', json, '{"dataVersion": {"$ne": null}, "spec": [], "source": "x", "deployments": "all"}'],
    ['prototype pollution', json, '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'],
    ['deep array 100', json, deep(100)],
    ['deep array 5000', json, deep(5000)],
    ['deep array 100000', json, deep(100000)],
    ['deep object 20000', json, '{"a":'.repeat(20000) + '1' + '}'.repeat(20000)],
    ['odd unicode', json, JSON.stringify({ dataVersion: '\u202e\u0000\ud83d\udca5\uffff', spec: { name: '\u0130stanbul' } })],
    ['lone surrogate', json, '{"dataVersion": "\\ud800"}'],
    ['injection strings', json, JSON.stringify({ dataVersion: "'; DROP TABLE runs; --", spec: { name: '${jndi:ldap://x}' } })],
    ['oversized 300 KB', json, JSON.stringify({ dataVersion: 'x'.repeat(300 * 1024) })],
    ['oversized 3 MB', json, JSON.stringify({ padding: 'x'.repeat(3 * 1024 * 1024) })],
    ['xml', 'application/xml', '<spec><name>x</name></spec>'],
    ['form', 'application/x-www-form-urlencoded', 'spec=x&dataVersion=y'],
    ['multipart', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="spec"\r\n\r\n{}\r\n--b--\r\n'],
    ['octet stream', 'application/octet-stream', Buffer.from([0, 1, 2, 255])],
    ['bogus content type', 'text/html; charset=bogus', '{}'],
    ['invalid content type', ';;;', '{}'],
  ];
}

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, p) => values[p] ?? 'x');

/** Every operation of the OpenAPI document, with hostile route parameters, query values and bodies. */
function apiCases(openapi, context) {
  const key = { 'x-functions-key': context.functionKey };
  const groups = [];
  for (const [template, operations] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
      const METHOD = method.toUpperCase();
      const reading = METHOD === 'GET';
      // Writes never name the seed pipeline: a hostile body must never start a run or change what exists.
      const plausible = reading
        ? { name: context.seedPipeline, instanceId: context.seedRun, version: '1', id: 'batch-00000000000000000000000000000000' }
        : { name: 'fuzz-nope', instanceId: 'fuzz-nope--0000000000000000', version: '1', id: 'batch-00000000000000000000000000000000' };
      const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const cases = [];
      const body = reading ? undefined : '{}';
      const headers = { ...key, ...(reading ? {} : { 'content-type': 'application/json' }) };
      for (const param of params)
        for (const value of hostileSegments)
          cases.push({
            method: METHOD,
            path: `/api${fill(template, { ...plausible, [param]: value })}`,
            headers,
            body,
            label: `${param}=${value.slice(0, 40)}`,
          });
      const base = `/api${fill(template, plausible)}`;
      const queryNames = [
        ...new Set([
          ...(operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          ...(reading ? genericQueryParameters : ['top']),
        ]),
      ];
      for (const name of queryNames)
        for (const value of hostileQueryValues)
          cases.push({ method: METHOD, path: `${base}?${name}=${value}`, headers, body, label: `?${name}=${value.slice(0, 40)}` });
      cases.push({ method: METHOD, path: base, headers: {}, body, label: 'no key' });
      cases.push({ method: METHOD, path: `${base}?code=wrong`, headers: {}, body, label: 'wrong key' });
      cases.push({ method: METHOD, path: `${base}/..%2f..%2f..%2fadmin%2fhost%2fstatus`, headers, body, label: 'traversal suffix' });
      if (!reading)
        for (const [label, type, content] of hostileBodies())
          cases.push({ method: METHOD, path: base, headers: { ...key, 'content-type': type }, body: content, label: `body: ${label}` });
      else cases.push({ method: 'PATCH', path: base, headers, label: 'unsupported method' });
      groups.push({ name: `${METHOD} ${template}`, cases });
    }
  }
  groups.push({ name: 'spec mutations', cases: specMutations(context) });
  return groups;
}

/** POST /api/pipelines with a valid spec whose fields, one at a time, take hostile values; and grids far too large. */
function specMutations(context) {
  const headers = { 'x-functions-key': context.functionKey, 'content-type': 'application/json' };
  const hostileValues = [
    null,
    -1,
    1e308,
    -1e308,
    0,
    '',
    'x'.repeat(2000),
    '\u202e\u0000',
    '../../etc/passwd',
    "' OR 1=1 --",
    [],
    {},
    [[[[[]]]]],
    true,
    'file:///etc/passwd',
  ];
  const fields = [
    ['name'],
    ['scenario'],
    ['description'],
    ['sampleFraction'],
    ['seed'],
    ['data', 'source', 'container'],
    ['data', 'source', 'prefix'],
    ['data', 'source', 'connection'],
    ['compute', 'target'],
    ['compute', 'workerNodes'],
    ['candidates', 'classifiers'],
    ['candidates', 'featurizers'],
    ['candidates', 'maxConcurrent'],
    ['selection', 'metric'],
    ['deployment', 'cpu'],
    ['schedule'],
  ];
  const cases = [];
  fields.forEach((field, f) =>
    hostileValues.forEach((value, v) => {
      const spec = validSpec(`fuzz-m${f}-${v}`);
      let at = spec;
      for (const key of field.slice(0, -1)) at = at[key] ??= {};
      at[field[field.length - 1]] = value;
      // A valid retraining schedule would start runs every minute: a mutation may keep everything else valid.
      if (field[0] !== 'schedule') delete spec.schedule;
      cases.push({
        method: 'POST',
        path: '/api/pipelines',
        headers,
        body: JSON.stringify(spec),
        label: `${field.join('.')}=${JSON.stringify(value).slice(0, 30)}`,
      });
    }),
  );
  const ten = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const factors of [4, 6, 7, 8, 12]) {
    const grid = Object.fromEntries(Array.from({ length: factors }, (_, i) => [`p${i}`, ten]));
    const spec = {
      ...validSpec('fuzz-grid'),
      candidates: { featurizers: ['a', 'b', 'c'], classifiers: [{ type: 'logistic_regression', grid }] },
    };
    cases.push({ method: 'POST', path: '/api/pipelines', headers, body: JSON.stringify(spec), label: `grid 10^${factors}` });
    cases.push({ method: 'POST', path: '/api/runs', headers, body: JSON.stringify({ spec }), label: `inline grid 10^${factors}` });
  }
  return cases;
}

/** The Durable HTTP API: with the master key (as the extension's system key) and without any key. */
function durableCases(context) {
  const base = '/runtime/webhooks/durabletask';
  const withKey = (path) => `${path}${path.includes('?') ? '&' : '?'}code=${encodeURIComponent(context.masterKey)}`;
  const ids = hostileSegments.filter((s) => s !== context.seedRun);
  const instanceQueries = [
    'runtimeStatus=Bogus',
    'runtimeStatus=Running,%00',
    'createdTimeFrom=garbage',
    'createdTimeTo=9999-99-99',
    'createdTimeFrom=2026-01-01T00:00:00Z&createdTimeTo=2020-01-01T00:00:00Z',
    'top=-1',
    'top=abc',
    'top=99999999999999',
    'showInput=maybe',
    'showHistory=1e309',
    'instanceIdPrefix=%00',
    'instanceIdPrefix=' + 'a'.repeat(3000),
    'continuationToken=junk',
  ];
  const keyed = [];
  const unkeyed = [];
  for (const id of ids) {
    keyed.push({ method: 'GET', path: withKey(`${base}/instances/${id}`), label: `status of ${id.slice(0, 30)}` });
    keyed.push({ method: 'POST', path: withKey(`${base}/instances/${id}/terminate?reason=fuzz`), label: `terminate ${id.slice(0, 30)}` });
    keyed.push({
      method: 'POST',
      path: withKey(`${base}/instances/${id}/raiseEvent/${id}`),
      headers: { 'content-type': 'application/json' },
      body: '{}',
      label: `raise event ${id.slice(0, 30)}`,
    });
    keyed.push({ method: 'POST', path: withKey(`${base}/instances/${id}/suspend?reason=fuzz`), label: `suspend ${id.slice(0, 30)}` });
    keyed.push({ method: 'POST', path: withKey(`${base}/instances/${id}/resume?reason=fuzz`), label: `resume ${id.slice(0, 30)}` });
    keyed.push({ method: 'POST', path: withKey(`${base}/instances/${id}/rewind?reason=fuzz`), label: `rewind ${id.slice(0, 30)}` });
    keyed.push({ method: 'DELETE', path: withKey(`${base}/instances/${id}`), label: `purge ${id.slice(0, 30)}` });
    keyed.push({
      method: 'POST',
      path: withKey(`${base}/orchestrators/${id}`),
      headers: { 'content-type': 'application/json' },
      body: '{}',
      label: `start orchestrator ${id.slice(0, 30)}`,
    });
    unkeyed.push({ method: 'GET', path: `${base}/instances/${id}`, label: `status of ${id.slice(0, 30)} without a key` });
    unkeyed.push({
      method: 'POST',
      path: `${base}/instances/${id}/terminate?reason=fuzz`,
      label: `terminate ${id.slice(0, 30)} without a key`,
    });
  }
  for (const query of instanceQueries) {
    keyed.push({ method: 'GET', path: withKey(`${base}/instances?${query}`), label: `list ${query.slice(0, 40)}` });
    keyed.push({ method: 'DELETE', path: withKey(`${base}/instances?${query}`), label: `purge ${query.slice(0, 40)}` });
    unkeyed.push({ method: 'GET', path: `${base}/instances?${query}`, label: `list ${query.slice(0, 40)} without a key` });
  }
  keyed.push({ method: 'DELETE', path: withKey(`${base}/instances`), label: 'purge with no filter' });
  unkeyed.push({ method: 'GET', path: `${base}/instances?code=wrong`, label: 'wrong key' });
  for (const [label, type, content] of hostileBodies().slice(0, 20))
    keyed.push({
      method: 'POST',
      path: withKey(`${base}/orchestrators/fuzz-no-such-orchestrator`),
      headers: { 'content-type': type },
      body: content,
      label: `start body: ${label}`,
    });
  return [
    { name: 'durable webhooks with the master key', cases: keyed },
    { name: 'durable webhooks without a key', cases: unkeyed },
  ];
}

function png(width, height, fill = 0) {
  const image = new PNG({ width, height });
  image.data.fill(fill);
  return PNG.sync.write(image);
}

function withPngSize(bytes, width, height) {
  const copy = Buffer.from(bytes);
  copy.writeUInt32BE(width, 16);
  copy.writeUInt32BE(height, 20);
  return copy;
}

function withJpegSize(bytes, width, height) {
  const copy = Buffer.from(bytes);
  const frame = copy.indexOf(Buffer.from([0xff, 0xc0]));
  copy.writeUInt16BE(height, frame + 5);
  copy.writeUInt16BE(width, frame + 7);
  return copy;
}

/** Broken and hostile images, malformed bodies and odd requests for a model server. */
function scorerCases() {
  const small = png(28, 28, 128);
  const photo = jpeg.encode({ data: Buffer.alloc(28 * 28 * 4, 90), width: 28, height: 28 }, 90).data;
  const images = [
    ['zero width', withPngSize(small, 0, 28)],
    ['zero height', withPngSize(small, 28, 0)],
    ['4096x4096 header on 28x28 data', withPngSize(small, 4096, 4096)],
    ['100000x100000 header', withPngSize(small, 100000, 100000)],
    ['2^32-1 width', withPngSize(small, 0xffffffff, 1)],
    ['truncated png', small.subarray(0, 40)],
    ['png signature only', small.subarray(0, 8)],
    ['png with junk after IHDR', Buffer.concat([small.subarray(0, 33), Buffer.alloc(200, 0xab)])],
    ['jpeg zero width', withJpegSize(photo, 0, 28)],
    ['jpeg 65535x65535', withJpegSize(photo, 65535, 65535)],
    ['truncated jpeg', photo.subarray(0, 30)],
    ['jpeg markers only', Buffer.from([0xff, 0xd8, 0xff, 0xd9])],
    ['gif', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))],
    ['empty', Buffer.alloc(0)],
    ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>')],
  ];
  const json = { 'content-type': 'application/json' };
  const cases = [];
  for (const [label, bytes] of images) {
    cases.push({
      method: 'POST',
      path: '/score',
      headers: json,
      body: JSON.stringify({ images: [bytes.toString('base64')] }),
      label: `image: ${label}`,
    });
    cases.push({
      method: 'POST',
      path: '/score',
      headers: json,
      body: JSON.stringify({ images: [`data:image/png;base64,${bytes.toString('base64')}`] }),
      label: `data url: ${label}`,
    });
    const boundary = 'fuzzboundary';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    cases.push({
      method: 'POST',
      path: '/score',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart,
      label: `multipart: ${label}`,
    });
  }
  const bomb = withPngSize(small, 4096, 4096).toString('base64');
  const bodies = [
    ['eight bombs', JSON.stringify({ images: new Array(8).fill(bomb) })],
    ['too many rows', JSON.stringify({ data: new Array(500).fill([0]) })],
    ['wrong row length', JSON.stringify({ data: [[1, 2, 3]] })],
    ['nan pixels', '{"data": [[NaN]]}'],
    ['huge pixel values', JSON.stringify({ data: [new Array(784).fill(1e308)] })],
    ['negative pixels', JSON.stringify({ data: [new Array(784).fill(-1e308)] })],
    ['string pixels', JSON.stringify({ data: [new Array(784).fill('x')] })],
    ['nested rows', JSON.stringify({ data: [[[[1]]]] })],
    ['deep nesting', '{"data":' + deep(100000) + '}'],
    ['rows on an image model', JSON.stringify({ rows: [{ a: 1 }] })],
    ['two forms', JSON.stringify({ data: [[0]], images: [] })],
    ['empty images', JSON.stringify({ images: [] })],
    ['bad base64', JSON.stringify({ images: ['!!!!'] })],
    ['base64 of nothing', JSON.stringify({ images: ['===='] })],
    ['object images', JSON.stringify({ images: [{ $ne: null }] })],
    ['odd unicode', JSON.stringify({ images: ['\u202e\ud83d\udca5'] })],
    ['not json', 'not json'],
    ['null', 'null'],
    ['oversized', JSON.stringify({ images: ['A'.repeat(5 * 1024 * 1024)] })],
  ];
  for (const [label, body] of bodies) cases.push({ method: 'POST', path: '/score', headers: json, body, label });
  for (const [label, type] of [
    ['xml', 'application/xml'],
    ['form', 'application/x-www-form-urlencoded'],
    ['multipart without boundary', 'multipart/form-data'],
    ['multipart with empty boundary', 'multipart/form-data; boundary='],
    ['multipart with a huge boundary', `multipart/form-data; boundary=${'b'.repeat(5000)}`],
    ['octet stream', 'application/octet-stream'],
  ])
    cases.push({ method: 'POST', path: '/score', headers: { 'content-type': type }, body: '--x\r\n\r\n', label: `content type: ${label}` });
  for (const segment of hostileSegments) {
    cases.push({ method: 'GET', path: `/${segment}`, label: `path ${segment.slice(0, 30)}` });
    cases.push({ method: 'GET', path: `/metadata/${segment}`, label: `metadata/${segment.slice(0, 30)}` });
  }
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'])
    for (const target of ['/score', '/metadata', '/health']) cases.push({ method, path: target, label: `${method} ${target}` });
  cases.push({ method: 'GET', path: '//evil.example/%2e%2e', label: 'scheme-relative target' });
  cases.push({ method: 'GET', path: '/metadata?x=' + 'a'.repeat(6000), label: 'long query' });
  return [{ name: 'model server', cases }];
}

module.exports = { apiCases, durableCases, scorerCases, validSpec };
