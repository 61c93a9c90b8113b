/**
 * A small strict XML 1.0 parser for the tests: it rejects what a conforming parser rejects for the
 * documents we write (illegal characters, raw `<` or bad `&` in text or attributes, `]]>` in text,
 * mismatched or unclosed tags, duplicate attributes, content after the root) and applies the two
 * normalisations a real parser applies (line ends; whitespace in attribute values), so a round trip
 * through it shows what a CI server would actually read.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: Array<XmlElement | string>;
}

export class XmlError extends Error {}

const NAME = /[A-Za-z_:][A-Za-z0-9._:-]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Parses a whole document; throws {@link XmlError} on anything not well-formed. */
export function parseXml(input: string): XmlElement {
  for (let i = 0; i < input.length; i++) {
    const cp = input.codePointAt(i) ?? 0;
    if (cp > 0xffff) i++;
    else if (cp >= 0xd800 && cp <= 0xdfff) throw new XmlError(`lone surrogate at ${i}`);
    if (!isXmlChar(cp)) throw new XmlError(`illegal character U+${cp.toString(16)} at ${i}`);
  }
  const src = input.replace(/\r\n?/g, '\n');
  let pos = 0;

  const fail = (why: string): never => {
    throw new XmlError(`${why} at offset ${pos}: ${JSON.stringify(src.slice(pos, pos + 30))}`);
  };
  const skipWs = (): void => {
    while (pos < src.length && /[ \t\n]/.test(src[pos] ?? '')) pos++;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (!m) return fail('expected a name');
    pos += m[0].length;
    return m[0];
  };
  const reference = (): string => {
    // at '&'
    const end = src.indexOf(';', pos);
    if (end === -1 || end - pos > 12) return fail('unterminated reference');
    const body = src.slice(pos + 1, end);
    pos = end + 1;
    let cp: number;
    if (/^#x[0-9a-fA-F]+$/.test(body)) cp = parseInt(body.slice(2), 16);
    else if (/^#[0-9]+$/.test(body)) cp = parseInt(body.slice(1), 10);
    else {
      const e = ENTITIES[body];
      if (e === undefined) return fail(`unknown entity &${body};`);
      return e;
    }
    if (!isXmlChar(cp)) return fail(`reference to an illegal character &${body};`);
    return String.fromCodePoint(cp);
  };
  const misc = (): void => {
    for (;;) {
      skipWs();
      if (src.startsWith('<!--', pos)) {
        const end = src.indexOf('-->', pos + 4);
        if (end === -1) fail('unterminated comment');
        if (src.slice(pos + 4, end).includes('--')) fail('"--" inside a comment');
        pos = end + 3;
      } else if (src.startsWith('<?', pos) && !src.startsWith('<?xml ', pos)) {
        const end = src.indexOf('?>', pos);
        if (end === -1) fail('unterminated processing instruction');
        pos = end + 2;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (src[pos] !== '<') fail('expected "<"');
    pos++;
    const el: XmlElement = { name: name(), attrs: {}, children: [] };
    for (;;) {
      const before = pos;
      skipWs();
      if (src.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (src[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      const an = name();
      skipWs();
      if (src[pos] !== '=') fail('expected "="');
      pos++;
      skipWs();
      const q = src[pos];
      if (q !== '"' && q !== "'") return fail('expected a quoted attribute value');
      pos++;
      let value = '';
      for (;;) {
        const c = src[pos];
        if (c === undefined) return fail('unterminated attribute value');
        if (c === q) break;
        if (c === '<') fail('"<" in an attribute value');
        if (c === '&') value += reference();
        else {
          // Attribute-value normalisation: literal whitespace characters become spaces.
          value += c === '\t' || c === '\n' ? ' ' : c;
          pos++;
        }
      }
      pos++;
      if (Object.hasOwn(el.attrs, an)) fail(`duplicate attribute ${an}`);
      el.attrs[an] = value;
    }
    let text = '';
    const flush = (): void => {
      if (text !== '') el.children.push(text);
      text = '';
    };
    for (;;) {
      if (pos >= src.length) fail(`unclosed element <${el.name}>`);
      if (src.startsWith('</', pos)) {
        pos += 2;
        const end = name();
        if (end !== el.name) fail(`</${end}> closes <${el.name}>`);
        skipWs();
        if (src[pos] !== '>') fail('expected ">"');
        pos++;
        flush();
        return el;
      }
      if (src.startsWith('<![CDATA[', pos)) {
        const end = src.indexOf(']]>', pos);
        if (end === -1) fail('unterminated CDATA');
        text += src.slice(pos + 9, end);
        pos = end + 3;
      } else if (src.startsWith('<!--', pos)) {
        const end = src.indexOf('-->', pos + 4);
        if (end === -1) fail('unterminated comment');
        pos = end + 3;
      } else if (src[pos] === '<') {
        flush();
        el.children.push(element());
      } else if (src[pos] === '&') {
        text += reference();
      } else {
        if (src.startsWith(']]>', pos)) fail('"]]>" in text');
        text += src[pos];
        pos++;
      }
    }
  };

  if (src.startsWith('<?xml', pos)) {
    const end = src.indexOf('?>', pos);
    if (end === -1) fail('unterminated XML declaration');
    pos = end + 2;
  }
  misc();
  const root = element();
  misc();
  if (pos !== src.length) fail('content after the root element');
  return root;
}

/** All descendants (and the element itself) named `name`, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return out;
}

/** The concatenated text content of an element. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
