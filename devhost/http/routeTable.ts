import { RegisteredFunction } from '../coreApi';
import { compileRouteTemplate, CompiledRoute } from './routeTemplate';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: Set<string>;
  authLevel: AuthLevel;
}

export type RouteLookup =
  | { kind: 'found'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

function triggerBinding(fn: RegisteredFunction): Record<string, unknown> | undefined {
  return Object.values(fn.metadata.bindings).find((b) => b.type?.toLowerCase() === 'httptrigger');
}

export class RouteTable {
  readonly #routes: HttpRoute[] = [];

  /** Adds a function if it has an HTTP trigger; returns whether it did. */
  add(fn: RegisteredFunction): boolean {
    const binding = triggerBinding(fn);
    if (!binding) return false;
    const template = typeof binding.route === 'string' && binding.route !== '' ? binding.route : fn.metadata.name;
    const methods = Array.isArray(binding.methods) && binding.methods.length > 0 ? binding.methods : ['GET', 'POST'];
    const authLevel = String(binding.authLevel ?? 'function').toLowerCase();
    if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
      throw new Error(`Function ${fn.metadata.name}: unknown authLevel "${String(binding.authLevel)}".`);
    }
    this.#routes.push({
      fn,
      route: compileRouteTemplate(template),
      methods: new Set(methods.map((m: unknown) => String(m).toUpperCase())),
      authLevel,
    });
    this.#routes.sort((a, b) => b.route.specificity[0] - a.route.specificity[0] || b.route.specificity[1] - a.route.specificity[1]);
    return true;
  }

  get routes(): readonly HttpRoute[] {
    return this.#routes;
  }

  lookup(method: string, path: string): RouteLookup {
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const params = route.route.match(path);
      if (!params) continue;
      if (route.methods.has(method.toUpperCase())) return { kind: 'found', route, params };
      route.methods.forEach((m) => allowed.add(m));
    }
    return allowed.size > 0 ? { kind: 'methodNotAllowed', allowed: [...allowed] } : { kind: 'notFound' };
  }
}
