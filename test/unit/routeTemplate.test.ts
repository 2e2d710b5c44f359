import { compileRouteTemplate, RouteTemplateError } from '../../devhost/http/routeTemplate';

describe('route templates', () => {
  it('matches literals case-insensitively and extracts parameters', () => {
    const route = compileRouteTemplate('pipelines/{name}/runs/{runId}');
    expect(route.match('/Pipelines/fashion/runs/r-1')).toEqual({ name: 'fashion', runId: 'r-1' });
    expect(route.match('/pipelines/fashion/runs')).toBeUndefined();
    expect(route.match('/pipelines/fashion/runs/r-1/extra')).toBeUndefined();
  });

  it('applies constraints', () => {
    const route = compileRouteTemplate('items/{id:int}/{flag:bool}');
    expect(route.match('/items/12/TRUE')).toEqual({ id: '12', flag: 'TRUE' });
    expect(route.match('/items/1.5/true')).toBeUndefined();
    expect(route.match('/items/12/maybe')).toBeUndefined();
    expect(route.match('/items/99999999999/true')).toBeUndefined();
    expect(compileRouteTemplate('x/{id:guid}').match('/x/0f8fad5b-d9cb-469f-a165-70867728950e')).toBeDefined();
    expect(compileRouteTemplate('x/{name:alpha}').match('/x/abc1')).toBeUndefined();
    expect(compileRouteTemplate('x/{name:minlength(3)}').match('/x/ab')).toBeUndefined();
    expect(compileRouteTemplate('x/{name:length(2,3)}').match('/x/abc')).toEqual({ name: 'abc' });
  });

  it('supports optional and catch-all parameters', () => {
    const optional = compileRouteTemplate('hello/{name?}');
    expect(optional.match('/hello')).toEqual({});
    expect(optional.match('/hello/bob')).toEqual({ name: 'bob' });
    expect(compileRouteTemplate('files/{*path}').match('/files/a/b/c.png')).toEqual({ path: 'a/b/c.png' });
    expect(compileRouteTemplate('models/{name}.onnx').match('/models/squeeze.onnx')).toEqual({ name: 'squeeze' });
  });

  it('decodes percent-encoded parameters', () => {
    expect(compileRouteTemplate('p/{name}').match('/p/a%20b')).toEqual({ name: 'a b' });
  });

  it('orders literal segments before parameters', () => {
    expect(compileRouteTemplate('runs/latest').specificity[0]).toBeGreaterThan(compileRouteTemplate('runs/{id}').specificity[0]);
  });

  it('rejects unknown constraints and malformed parameters', () => {
    expect(() => compileRouteTemplate('x/{id:color}')).toThrow(RouteTemplateError);
    expect(() => compileRouteTemplate('x/{id')).toThrow(/malformed/);
  });
});
