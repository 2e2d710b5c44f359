import { MultipartError, multipartBoundary, parseMultipart } from '../../scoring/multipart';

const tooMany = (): Error => new Error('too many parts');

function body(...lines: (string | Buffer)[]): Buffer {
  return Buffer.concat(lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'latin1') : l)));
}

describe('multipart/form-data parsing', () => {
  it('reads the boundary, plain or quoted, and refuses a Content-Type without one', () => {
    expect(multipartBoundary('multipart/form-data; boundary=----abc123')).toBe('----abc123');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(() => multipartBoundary('multipart/form-data')).toThrow(MultipartError);
  });

  it('splits parts with their names, file names, types and exact bytes, ignoring preamble and epilogue', () => {
    const binary = Buffer.from([0x89, 0x50, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
    const parts = parseMultipart(
      body(
        'preamble\r\n',
        '--XyZ\r\n',
        'Content-Disposition: form-data; name="image"; filename="shoe \\"1\\".png"\r\nContent-Type: image/PNG\r\n\r\n',
        binary,
        '\r\n--XyZ\r\n',
        'Content-Disposition: form-data; name="note"\r\n\r\n',
        'hello',
        '\r\n--XyZ--\r\nepilogue',
      ),
      'XyZ',
      10,
      tooMany,
    );
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ name: 'image', filename: 'shoe "1".png', contentType: 'image/png' });
    expect(parts[0].data.equals(binary)).toBe(true);
    expect(parts[1].name).toBe('note');
    expect(parts[1].filename ?? parts[1].contentType).toBeUndefined();
    expect(parts[1].data.toString()).toBe('hello');
  });

  it('keeps an empty part and one without headers', () => {
    const parts = parseMultipart(
      body('--b\r\n\r\nraw\r\n--b\r\nContent-Disposition: form-data; name="e"\r\n\r\n\r\n--b--'),
      'b',
      10,
      tooMany,
    );
    expect(parts.map((p) => [p.name, p.data.toString()])).toEqual([
      [undefined, 'raw'],
      ['e', ''],
    ]);
  });

  it('fails on a body without the boundary, without the closing boundary, or with a broken header', () => {
    expect(() => parseMultipart(body('no boundary here'), 'b', 10, tooMany)).toThrow('does not contain the boundary');
    expect(() => parseMultipart(body('--b\r\nContent-Type: text/plain\r\n\r\nunfinished'), 'b', 10, tooMany)).toThrow(
      'ends before the closing boundary',
    );
    expect(() => parseMultipart(body('--b\r\nno colon\r\n\r\nx\r\n--b--'), 'b', 10, tooMany)).toThrow('has no colon');
    expect(() => parseMultipart(body('--bX\r\n\r\nx\r\n--b--'), 'b', 10, tooMany)).toThrow('not followed by CRLF');
  });

  it('stops at the first part past the limit', () => {
    const three = body('--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--');
    expect(parseMultipart(three, 'b', 3, tooMany)).toHaveLength(3);
    expect(() => parseMultipart(three, 'b', 2, tooMany)).toThrow('too many parts');
  });
});
