import fs from 'node:fs';
import path from 'node:path';
import { Call, calls, Expr, isExpression, literal, parseExpression, render } from './armExpression';

export const infraDir = path.resolve(__dirname, '../../../infra');
export const repoRoot = path.resolve(infraDir, '..');

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  scope?: string;
  copy?: { name: string; count: unknown };
  dependsOn?: string[];
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ArmTemplate {
  $schema: string;
  contentVersion: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; [key: string]: unknown }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

/** A template and the expressions evaluated in its scope (a nested template with inner scope is its own). */
export interface TemplateScope {
  label: string;
  template: ArmTemplate;
  expressions: { at: string; expr: Expr }[];
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export const mainTemplate = (): ArmTemplate => readJson<ArmTemplate>(path.join(infraDir, 'main.json'));

function innerTemplate(resource: ArmResource): ArmTemplate | undefined {
  const properties = resource.properties as { template?: ArmTemplate; expressionEvaluationOptions?: { scope?: string } } | undefined;
  return resource.type === 'Microsoft.Resources/deployments' && properties?.expressionEvaluationOptions?.scope === 'inner'
    ? properties.template
    : undefined;
}

/** Every string (and object key) in `node` that is an expression, skipping nested templates with their own scope. */
function collectExpressions(node: unknown, at: string, out: TemplateScope['expressions'], nested: ArmTemplate[]): void {
  if (typeof node === 'string') {
    if (isExpression(node)) out.push({ at, expr: parseExpression(node) });
  } else if (Array.isArray(node)) {
    node.forEach((item, i) => collectExpressions(item, `${at}[${i}]`, out, nested));
  } else if (node && typeof node === 'object') {
    const inner = innerTemplate(node as ArmResource);
    for (const [key, value] of Object.entries(node)) {
      if (isExpression(key)) out.push({ at: `${at} (key)`, expr: parseExpression(key) });
      if (inner && key === 'properties') {
        const { template, ...rest } = value as { template: ArmTemplate };
        nested.push(template);
        collectExpressions(rest, `${at}.properties`, out, nested);
      } else collectExpressions(value, `${at}.${key}`, out, nested);
    }
  }
}

/** The template and each nested template that evaluates its own expressions. */
export function scopes(template: ArmTemplate, label = 'main.json'): TemplateScope[] {
  const expressions: TemplateScope['expressions'] = [];
  const nested: ArmTemplate[] = [];
  collectExpressions(template, label, expressions, nested);
  return [{ label, template, expressions }, ...nested.flatMap((inner, i) => scopes(inner, `${label} nested template ${i}`))];
}

/** Resources of the template and of its nested templates. */
export function allResources(template: ArmTemplate): ArmResource[] {
  return template.resources.flatMap((resource) => {
    const inner = (resource.properties as { template?: ArmTemplate } | undefined)?.template;
    return [resource, ...(inner ? allResources(inner) : [])];
  });
}

export const resourcesOfType = (template: ArmTemplate, type: string): ArmResource[] =>
  allResources(template).filter((r) => r.type.toLowerCase() === type.toLowerCase());

/** The one resource of a type; a test fails loudly when the template has none or several. */
export function only(template: ArmTemplate, type: string): ArmResource {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Arguments of every call to `name` (e.g. the names passed to `parameters`), as literals. */
export function literalArguments(scope: TemplateScope, name: string): string[] {
  return scope.expressions.flatMap(({ at, expr }) =>
    calls(expr)
      .filter((c) => c.name.toLowerCase() === name.toLowerCase())
      .map((c) => literal(c.args[0], `${at}: ${name}()`)),
  );
}

const formatPlaceholder = /^\{(\d+)\}$/;

/**
 * A resource name as the segments `resourceId` takes after the type: `format('{0}/{1}', a, 'b')`
 * gives [a, 'b'], rendered so that the same expression always compares equal.
 */
export function nameSegments(name: string): string[] {
  if (!isExpression(name)) return name.split('/').map((s) => render({ kind: 'string', value: s }));
  const expr = parseExpression(name);
  if (expr.kind === 'call' && expr.name.toLowerCase() === 'format' && expr.args[0]?.kind === 'string') {
    return expr.args[0].value.split('/').map((piece) => {
      const placeholder = formatPlaceholder.exec(piece);
      return placeholder ? render(expr.args[Number(placeholder[1]) + 1]) : render({ kind: 'string', value: piece });
    });
  }
  return [render(expr)];
}

/** What `resourceId('type', ...segments)` names, ready to compare with `nameSegments`. */
export function resourceIdTarget(call: Call, where: string): { type: string; segments: string[] } {
  return { type: literal(call.args[0], `${where}: ${call.name}() type`), segments: call.args.slice(1).map(render) };
}

export function findResource(template: ArmTemplate, target: { type: string; segments: string[] }): ArmResource | undefined {
  return template.resources.find(
    (r) => r.type.toLowerCase() === target.type.toLowerCase() && nameSegments(r.name).join('/') === target.segments.join('/'),
  );
}

/** The top-level resource an extension resource's `scope` (`format('Microsoft.X/type/{0}', name)`) points at. */
export function scopeTarget(resource: ArmResource): { type: string; segments: string[] } {
  const [namespace, type, ...name] = nameSegments(resource.scope ?? '');
  if (name.length !== 1) throw new Error(`${resource.name}: scope must be one top-level resource, got ${resource.scope}`);
  const unquote = (segment: string) => segment.slice(1, -1);
  return { type: `${unquote(namespace)}/${unquote(type)}`, segments: name };
}
