import { match, MatchFunction } from 'path-to-regexp';

/** Route constraints of the Functions host (ASP.NET route template syntax) that the devhost honours. */
const constraints: Record<string, (value: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  guid: (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i.test(v),
  double: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  float: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  decimal: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  datetime: (v) => !Number.isNaN(Date.parse(v)),
};

export class RouteTemplateError extends Error {
  readonly code = 'DEVHOST.ROUTE_TEMPLATE';
}

export interface CompiledRoute {
  template: string;
  /** Literal segments first, then fewer parameters: the order the host tries routes in. */
  specificity: [number, number];
  match(path: string): Record<string, string> | undefined;
}

const tokenPattern = /\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+)(?:\(([^)]*)\))?)?(\?)?\}/g;

function escapeLiteral(text: string): string {
  return text.replace(/[()[\]?+*:{}\\]/g, (c) => `\\${c}`);
}

/** Turns `products/{category:alpha}/{id:int?}` into a matcher for `/products/shoes/12`. */
export function compileRouteTemplate(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const checks: Array<[string, (v: string) => boolean]> = [];
  let literalSegments = 0;
  let parameters = 0;
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const pattern = parts
    .map((segment) => {
      let out = '';
      let last = 0;
      let hasToken = false;
      for (const token of segment.matchAll(tokenPattern)) {
        const [whole, star, name, constraint, arg, optional] = token;
        hasToken = true;
        parameters++;
        out += escapeLiteral(segment.slice(last, token.index));
        last = (token.index ?? 0) + whole.length;
        if (constraint) {
          const check =
            constraint === 'minlength' || constraint === 'maxlength' || constraint === 'length'
              ? lengthCheck(constraint, arg, template)
              : constraints[constraint];
          if (!check) throw new RouteTemplateError(`Route "${template}": unknown constraint "${constraint}".`);
          checks.push([name, check]);
        }
        out += star ? `:${name}(.*)` : `:${name}`;
        if (optional) out += '?';
      }
      out += escapeLiteral(segment.slice(last));
      if (!hasToken) literalSegments++;
      if (/[{}]/.test(segment.replace(tokenPattern, ''))) {
        throw new RouteTemplateError(`Route "${template}": malformed parameter in segment "${segment}".`);
      }
      return '/' + out;
    })
    .join('');
  let matcher: MatchFunction<Record<string, string>>;
  try {
    matcher = match<Record<string, string>>(pattern || '/', { decode: decodeURIComponent, sensitive: false, strict: false });
  } catch (err) {
    throw new RouteTemplateError(`Route "${template}": ${(err as Error).message}`);
  }
  return {
    template,
    specificity: [literalSegments, -parameters],
    match(path: string) {
      const result = matcher(path);
      if (!result) return undefined;
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(result.params)) {
        if (value !== undefined) params[key] = String(value);
      }
      for (const [name, check] of checks) {
        if (params[name] !== undefined && !check(params[name])) return undefined;
      }
      return params;
    },
  };
}

function lengthCheck(kind: string, arg: string | undefined, template: string): (v: string) => boolean {
  const numbers = (arg ?? '').split(',').map((n) => Number(n.trim()));
  if (numbers.some((n) => !Number.isInteger(n))) {
    throw new RouteTemplateError(`Route "${template}": constraint ${kind} needs integer arguments.`);
  }
  if (kind === 'minlength') return (v) => v.length >= numbers[0];
  if (kind === 'maxlength') return (v) => v.length <= numbers[0];
  return numbers.length === 2 ? (v) => v.length >= numbers[0] && v.length <= numbers[1] : (v) => v.length === numbers[0];
}
