// Removes the app's compiled output before a build: tsc never deletes the output of a source that
// was moved or deleted, and the host loads every file `main` globs, so a stale compiled activity
// would be registered beside (or instead of) the new one.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
for (const folder of ['functions', 'orchestrations', 'shared']) fs.rmSync(path.join(dist, folder), { recursive: true, force: true });
