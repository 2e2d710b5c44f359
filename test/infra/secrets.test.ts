import fs from 'node:fs';
import path from 'node:path';
import { calls, isExpression, parseExpression } from './support/armExpression';
import { infraDir, mainTemplate, scopes } from './support/armTemplate';

/** ARM functions that return keys, connection strings or SAS tokens. */
const secretFunctions = /^list/i;
/** Literal text that only a credential contains. */
const secretLiterals = [/AccountKey=/i, /SharedAccessSignature=/i, /\bsig=/i, /password/i, /-----BEGIN/];
const secretNames = /secret|password|connectionstring|token|sas|accountkey|apikey|(^|_)keys?$/i;

function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

describe('no secret in the templates', () => {
  const template = mainTemplate();

  it('no expression lists keys, connection strings or SAS tokens', () => {
    for (const scope of scopes(template)) {
      const listing = scope.expressions.flatMap(({ at, expr }) =>
        calls(expr)
          .filter((c) => secretFunctions.test(c.name))
          .map(() => at),
      );
      expect(listing).toEqual([]);
    }
  });

  it('outputs are plain strings whose names and values are not credentials', () => {
    for (const [name, output] of Object.entries(template.outputs ?? {})) {
      expect({ name, type: output.type }).toEqual({ name, type: 'string' });
      expect(name).not.toMatch(secretNames);
    }
  });

  it('parameters hold no secret: none is secure, and no default or parameters-file value looks like a credential', () => {
    for (const [name, parameter] of Object.entries(template.parameters ?? {})) {
      expect({ name, type: parameter.type }).not.toEqual({ name, type: expect.stringMatching(/^secure/i) });
      expect(name).not.toMatch(secretNames);
    }
    const values = [
      ...strings(Object.values(template.parameters ?? {}).map((p) => p.defaultValue)),
      ...strings(JSON.parse(fs.readFileSync(path.join(infraDir, 'main.parameters.json'), 'utf8'))),
      fs.readFileSync(path.join(infraDir, 'main.bicepparam'), 'utf8'),
    ];
    for (const value of values)
      for (const pattern of secretLiterals) expect({ value, secret: pattern.test(value) }).toEqual({ value, secret: false });
  });

  it('no literal anywhere in main.json looks like a credential', () => {
    const literals = strings(template).filter((s) => !isExpression(s) || calls(parseExpression(s)).length === 0);
    for (const value of literals)
      for (const pattern of secretLiterals) expect({ value, secret: pattern.test(value) }).toEqual({ value, secret: false });
  });
});
