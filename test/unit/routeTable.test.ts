import { RegisteredFunction } from '../../devhost/coreApi';
import { RouteTable } from '../../devhost/http/routeTable';

function fn(name: string, binding: Record<string, unknown>): RegisteredFunction {
  return { metadata: { name, bindings: { req: { type: 'httpTrigger', direction: 'in', ...binding } } }, callback: () => undefined };
}

describe('route table', () => {
  it('prefers a literal route over a parameter regardless of registration order', () => {
    const table = new RouteTable();
    table.add(fn('byId', { route: 'runs/{id}', methods: ['GET'] }));
    table.add(fn('latest', { route: 'runs/latest', methods: ['GET'] }));
    const found = table.lookup('GET', '/runs/latest');
    expect(found.kind === 'found' && found.route.fn.metadata.name).toBe('latest');
  });

  it('defaults the route to the function name and methods to GET and POST', () => {
    const table = new RouteTable();
    table.add(fn('ping', {}));
    expect(table.lookup('POST', '/ping').kind).toBe('found');
    expect(table.lookup('DELETE', '/ping')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'POST'] });
    expect(table.lookup('GET', '/pong').kind).toBe('notFound');
  });

  it('ignores functions without an HTTP trigger and rejects unknown auth levels', () => {
    const table = new RouteTable();
    expect(table.add({ metadata: { name: 't', bindings: { t: { type: 'timerTrigger' } } }, callback: () => undefined })).toBe(false);
    expect(() => table.add(fn('x', { authLevel: 'system' }))).toThrow(/unknown authLevel/);
  });
});
