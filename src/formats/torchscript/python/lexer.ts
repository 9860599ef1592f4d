import { NeuropodError } from '../../../api/errors.js';

export type TokenKind = 'name' | 'int' | 'float' | 'str' | 'op' | 'newline' | 'indent' | 'dedent' | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of a string literal. */
  value?: string;
  line: number;
}

const OPERATORS = ['**=', '//=', '->', '**', '//', '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '(', ')', '[', ']', '{', '}', ',', ':', '.', '=', '+', '-', '*', '/', '%', '<', '>', '@', '~', '&', '|', '^'];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Python tokens with INDENT/DEDENT; newlines inside brackets are joined, as Python's tokenizer does. */
export function tokenize(source: string, path: string): Token[] {
  const tokens: Token[] = [];
  const indents = [0];
  let depth = 0;
  let line = 1;
  let i = 0;
  let atLineStart = true;
  const fail = (what: string) => new NeuropodError('MODEL_INVALID', `${path}:${line}: cannot read TorchScript code: ${what}`);
  while (i < source.length) {
    if (atLineStart && depth === 0) {
      let col = 0;
      while (source[i] === ' ' || source[i] === '\t') col += source[i++] === '\t' ? 8 : 1;
      if (source[i] === '\n' || source[i] === '#' || source[i] === '\r' || i >= source.length) {
        while (i < source.length && source[i] !== '\n') i++;
        if (source[i] === '\n') { i++; line++; }
        continue;
      }
      atLineStart = false;
      if (col > indents[indents.length - 1]!) {
        indents.push(col);
        tokens.push({ kind: 'indent', text: '', line });
      }
      while (col < indents[indents.length - 1]!) {
        indents.pop();
        tokens.push({ kind: 'dedent', text: '', line });
      }
    }
    const c = source[i]!;
    if (c === '\n') {
      if (depth === 0) {
        tokens.push({ kind: 'newline', text: '', line });
        atLineStart = true;
      }
      i++;
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '\\' && source[i + 1] === '\n') { i += 2; line++; continue; }
    if (c === '#') { while (i < source.length && source[i] !== '\n') i++; continue; }
    const number = /^(?:0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)/.exec(source.slice(i, i + 64));
    if (number) {
      const text = number[0];
      tokens.push({ kind: /[.eE]/.test(text) && !/^0[xX]/.test(text) ? 'float' : 'int', text, line });
      i += text.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 256));
    if (word) {
      const quote = source[i + word[0].length];
      if (/^[rbuRBU]{1,2}$/.test(word[0]) && (quote === '"' || quote === "'")) {
        i += word[0].length;
      } else {
        tokens.push({ kind: 'name', text: word[0], line });
        i += word[0].length;
        continue;
      }
    }
    if (source[i] === '"' || source[i] === "'") {
      const [value, end] = readString(source, i, fail);
      tokens.push({ kind: 'str', text: source.slice(i, end), value, line });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw fail(`unexpected character '${c}'`);
    if ('([{'.includes(op)) depth++;
    if (')]}'.includes(op)) depth--;
    tokens.push({ kind: 'op', text: op, line });
    i += op.length;
  }
  tokens.push({ kind: 'newline', text: '', line });
  while (indents.length > 1) {
    indents.pop();
    tokens.push({ kind: 'dedent', text: '', line });
  }
  tokens.push({ kind: 'end', text: '', line });
  return tokens;
}

function readString(source: string, start: number, fail: (w: string) => Error): [string, number] {
  const quote = source.startsWith(source[start]!.repeat(3), start) ? source[start]!.repeat(3) : source[start]!;
  let i = start + quote.length;
  let out = '';
  while (!source.startsWith(quote, i)) {
    if (i >= source.length) throw fail('unterminated string');
    const c = source[i]!;
    if (c !== '\\') { out += c; i++; continue; }
    const e = source[i + 1]!;
    if (e === 'x') { out += String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16)); i += 4; }
    else if (e === 'u') { out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16)); i += 6; }
    else if (e === 'U') { out += String.fromCodePoint(parseInt(source.slice(i + 2, i + 10), 16)); i += 10; }
    else if (e === '\n') i += 2;
    else { out += ESCAPES[e] ?? `\\${e}`; i += 2; }
  }
  return [out, i + quote.length];
}
