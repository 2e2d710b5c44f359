import { serializeCookie } from '../../devhost/http/rpcHttp';

describe('cookies', () => {
  it('serializes every attribute the programming model sends', () => {
    expect(
      serializeCookie({
        name: 'a',
        value: 'b',
        domain: { value: 'example.org' },
        path: { value: '/x' },
        expires: { value: { seconds: 0 } },
        maxAge: { value: 60 },
        secure: { value: true },
        httpOnly: { value: true },
        sameSite: 'explicitNone',
      }),
    ).toBe('a=b; Domain=example.org; Path=/x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; Secure; HttpOnly; SameSite=None');
    expect(serializeCookie({ name: 'c', value: 'd', sameSite: 'none' })).toBe('c=d');
  });
});
