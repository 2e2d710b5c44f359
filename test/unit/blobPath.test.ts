import { parseBlobPath } from '../../devhost/blob/blobPath';

describe('blob trigger paths', () => {
  it('binds {name} across folders', () => {
    const p = parseBlobPath('uploads/{name}');
    expect(p.container).toBe('uploads');
    expect(p.match('a/b/c.png')).toEqual({ name: 'a/b/c.png' });
  });

  it('keeps a parameter followed by / within one folder and honours literal suffixes', () => {
    const p = parseBlobPath('images/{folder}/{name}.png');
    expect(p.match('cats/tabby.png')).toEqual({ folder: 'cats', name: 'tabby' });
    expect(p.match('cats/tabby.jpg')).toBeUndefined();
    expect(p.match('tabby.png')).toBeUndefined();
  });

  it('matches a literal marker blob', () => {
    const p = parseBlobPath('landing/{pipeline}/_READY');
    expect(p.match('fashion/_READY')).toEqual({ pipeline: 'fashion' });
    expect(p.match('fashion/x.png')).toBeUndefined();
  });

  it('watches a whole container when only the container is given', () => {
    expect(parseBlobPath('drop').match('anything/at/all')).toEqual({});
  });

  it('rejects invalid container names and malformed parameters', () => {
    expect(() => parseBlobPath('Bad_Container/{name}')).toThrow(/not a valid container name/);
    expect(() => parseBlobPath('box/{name')).toThrow(/malformed/);
  });
});
