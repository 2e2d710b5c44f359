import fs from 'node:fs';
import path from 'node:path';
import { asCall, calls, literal, parseExpression, render } from './support/armExpression';
import {
  findResource,
  infraDir,
  literalArguments,
  mainTemplate,
  nameSegments,
  readJson,
  resourceIdTarget,
  scopes,
  scopeTarget,
} from './support/armTemplate';

/** ARM template functions these templates may use; another needs a look at the ARM function reference first. */
const knownFunctions = new Set(
  [
    'copyIndex',
    'createObject',
    'empty',
    'extensionResourceId',
    'format',
    'guid',
    'if',
    'length',
    'not',
    'parameters',
    'reference',
    'resourceGroup',
    'resourceId',
    'subscription',
    'subscriptionResourceId',
    'toLower',
    'union',
    'uniqueString',
    'variables',
  ].map((f) => f.toLowerCase()),
);

/** Targets outside the template that Azure itself defines (built-in role definitions). */
const builtInTargetTypes = new Set(['microsoft.authorization/roledefinitions', 'microsoft.documentdb/databaseaccounts/sqlroledefinitions']);

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

describe('infra templates', () => {
  const template = mainTemplate();
  const allScopes = scopes(template);

  it('every JSON file under infra/ parses', () => {
    const files = fs.readdirSync(infraDir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['main.json', 'main.parameters.json']));
    for (const file of files) expect(() => readJson(path.join(infraDir, file))).not.toThrow();
  });

  it('every expression parses and uses only known ARM functions', () => {
    for (const scope of allScopes) {
      for (const { at, expr } of scope.expressions) {
        const unknown = calls(expr).filter((c) => !knownFunctions.has(c.name.toLowerCase()));
        expect(unknown.map((c) => `${at}: ${c.name}`)).toEqual([]);
      }
    }
  });

  it.each(['parameters', 'variables'] as const)('every %s entry declared is used, and every one used is declared', (kind) => {
    for (const scope of allScopes) {
      const declared = sorted(Object.keys(scope.template[kind] ?? {}));
      const used = sorted(literalArguments(scope, kind));
      expect({ scope: scope.label, names: used }).toEqual({ scope: scope.label, names: declared });
    }
  });

  it('every resourceId, extensionResourceId and reference names a resource in the template', () => {
    for (const scope of allScopes) {
      for (const { at, expr } of scope.expressions) {
        for (const call of calls(expr)) {
          const name = call.name.toLowerCase();
          if (name === 'resourceid' || name === 'subscriptionresourceid') {
            const target = resourceIdTarget(call, at);
            if (builtInTargetTypes.has(target.type.toLowerCase())) continue;
            expect(name).toBe('resourceid');
            expect({ at, target, found: Boolean(findResource(scope.template, target)) }).toEqual({ at, target, found: true });
          } else if (name === 'extensionresourceid') {
            const [scopeId, type, resourceName] = call.args;
            const extensionScope = resourceIdTarget(asCall(scopeId, 'resourceId', at), at);
            const found = scope.template.resources.find(
              (r) =>
                r.type === literal(type, `${at}: extensionResourceId() type`) &&
                nameSegments(r.name).join('/') === render(resourceName) &&
                JSON.stringify(scopeTarget(r)) === JSON.stringify(extensionScope),
            );
            expect({ at, found: Boolean(found) }).toEqual({ at, found: true });
          } else if (name === 'reference') {
            const [target, apiVersion] = call.args;
            const resource = findResource(scope.template, resourceIdTarget(asCall(target, 'resourceId', at), at));
            // The same api-version as the resource's declaration, so both come from the published list.
            expect({ at, apiVersion: apiVersion && render(apiVersion) }).toEqual({ at, apiVersion: `'${resource?.apiVersion}'` });
          }
        }
      }
    }
  });

  it('every dependsOn entry is a resourceId or extensionResourceId of another resource', () => {
    for (const scope of allScopes) {
      for (const resource of scope.template.resources) {
        for (const dependency of resource.dependsOn ?? []) {
          expect(dependency).toMatch(/^\[(resourceId|extensionResourceId)\(/);
          const call = parseExpression(dependency);
          if (dependency.startsWith('[resourceId('))
            expect(resourceIdTarget(asCall(call, 'resourceId', resource.name), resource.name)).not.toEqual({
              type: resource.type,
              segments: nameSegments(resource.name),
            });
        }
      }
    }
  });

  it('the parameters file and the azd parameters file set only parameters main.json declares', () => {
    const declared = template.parameters ?? {};
    const parametersFile = readJson<{ parameters: Record<string, { value: unknown }> }>(path.join(infraDir, 'main.parameters.json'));
    for (const [name, { value }] of Object.entries(parametersFile.parameters)) {
      expect(Object.keys(declared)).toContain(name);
      expect(typeof value).toBe(declared[name].type === 'int' ? 'number' : declared[name].type);
    }
    const bicepparam = fs.readFileSync(path.join(infraDir, 'main.bicepparam'), 'utf8');
    expect(bicepparam).toMatch(/^using '\.\/main\.json'$/m);
    const assigned = [...bicepparam.matchAll(/^param (\w+) =/gm)].map((m) => m[1]);
    expect(assigned.length).toBeGreaterThan(0);
    for (const name of assigned) expect(Object.keys(declared)).toContain(name);
  });

  it('every template, nested ones too, is a resource group deployment template', () => {
    for (const { template: t } of allScopes) {
      expect(t.$schema).toBe('https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
      expect(t.contentVersion).toBe('1.0.0.0');
    }
  });
});
