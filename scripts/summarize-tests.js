// Prints one closing line for the whole test run from jest's JSON and pytest's JUnit XML,
// and fails when a suite that should have run left no result (a crash, not a pass).
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = false;

const jestFile = path.join(dir, 'jest.json');
if (fs.existsSync(jestFile)) {
  const jest = JSON.parse(fs.readFileSync(jestFile, 'utf8'));
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + jest.numRuntimeErrorTestSuites;
  skipped += jest.numPendingTests + jest.numTodoTests;
  console.log(
    `jest: ${jest.numPassedTests} passed, ${jest.numFailedTests} failed (${jest.numRuntimeErrorTestSuites} suites failed to run)`,
  );
} else {
  console.log('jest: no results (it did not run to the end)');
  missing = true;
}

const pytestFile = path.join(dir, 'pytest.xml');
if (fs.existsSync(pytestFile)) {
  const xml = fs.readFileSync(pytestFile, 'utf8');
  const attr = (name) => Number((new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`).exec(xml) ?? [])[1] ?? 0);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  const skip = attr('skipped');
  passed += total - bad - skip;
  failed += bad;
  skipped += skip;
  console.log(`pytest: ${total - bad - skip} passed, ${bad} failed`);
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || missing || passed === 0 ? 1 : 0);
