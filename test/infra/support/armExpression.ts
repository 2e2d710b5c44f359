/**
 * A parser for ARM template expressions (`[resourceId('Microsoft.Web/sites', variables('x'))]`),
 * enough to find what an expression refers to. It understands the grammar, not the meaning: the
 * checks that need meaning (which resource a `resourceId` names) compare canonical renderings.
 */
export type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'property'; target: Expr; name: string }
  | { kind: 'index'; target: Expr; index: Expr };

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string };

/** `[...]` is an expression; `[[...` is a literal string that starts with `[`. */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated string in ${source}`);
        if (source[i] === "'" && source[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (source[i] === "'") {
          i++;
          break;
        } else text += source[i++];
      }
      tokens.push({ kind: 'string', text });
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'ident', text: match[0] });
      i += match[0].length;
    } else if (/[-0-9]/.test(c)) {
      const match = /^-?[0-9]+/.exec(source.slice(i));
      if (!match) throw new Error(`unexpected "${c}" in ${source}`);
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else throw new Error(`unexpected "${c}" in ${source}`);
  }
  return tokens;
}

/** Parses the text of a template string that `isExpression` accepts, brackets included. */
export function parseExpression(value: string): Expr {
  const tokens = tokenize(value.slice(1, -1));
  let at = 0;
  const peek = (text: string) => tokens[at]?.kind === 'punct' && tokens[at].text === text;
  const expect = (text: string) => {
    if (!peek(text)) throw new Error(`expected "${text}" at token ${at} of ${value}`);
    at++;
  };

  function primary(): Expr {
    const token = tokens[at++];
    if (!token) throw new Error(`unexpected end of ${value}`);
    if (token.kind === 'string') return { kind: 'string', value: token.text };
    if (token.kind === 'number') return { kind: 'number', value: Number(token.text) };
    if (token.kind !== 'ident') throw new Error(`unexpected "${token.text}" in ${value}`);
    expect('(');
    const args: Expr[] = [];
    while (!peek(')')) {
      args.push(postfix());
      if (!peek(')')) expect(',');
    }
    expect(')');
    return { kind: 'call', name: token.text, args };
  }

  function postfix(): Expr {
    let expr = primary();
    for (;;) {
      if (peek('.')) {
        at++;
        const name = tokens[at++];
        if (name?.kind !== 'ident') throw new Error(`expected a property name in ${value}`);
        expr = { kind: 'property', target: expr, name: name.text };
      } else if (peek('[')) {
        at++;
        const index = postfix();
        expect(']');
        expr = { kind: 'index', target: expr, index };
      } else return expr;
    }
  }

  const expr = postfix();
  if (at !== tokens.length) throw new Error(`trailing tokens in ${value}`);
  return expr;
}

/** One spelling per expression (function names are case-insensitive in ARM), for comparisons. */
export function render(expr: Expr): string {
  switch (expr.kind) {
    case 'string':
      return `'${expr.value.replace(/'/g, "''")}'`;
    case 'number':
      return String(expr.value);
    case 'call':
      return `${expr.name.toLowerCase()}(${expr.args.map(render).join(', ')})`;
    case 'property':
      return `${render(expr.target)}.${expr.name}`;
    case 'index':
      return `${render(expr.target)}[${render(expr.index)}]`;
  }
}

/** Every function call in the expression, outermost first. */
export function calls(expr: Expr): Call[] {
  switch (expr.kind) {
    case 'call':
      return [expr, ...expr.args.flatMap(calls)];
    case 'property':
      return calls(expr.target);
    case 'index':
      return [...calls(expr.target), ...calls(expr.index)];
    default:
      return [];
  }
}

/** The literal a function argument must be (`parameters('x')`, a resource type), or an error. */
export function literal(expr: Expr | undefined, where: string): string {
  if (expr?.kind !== 'string') throw new Error(`${where}: expected a string literal`);
  return expr.value;
}

export type Call = Extract<Expr, { kind: 'call' }>;

/** The expression as a call to `name` (e.g. the `resourceId` a `reference` must be given), or an error. */
export function asCall(expr: Expr | undefined, name: string, where: string): Call {
  if (expr?.kind !== 'call' || expr.name.toLowerCase() !== name.toLowerCase()) throw new Error(`${where}: expected ${name}(...)`);
  return expr;
}
