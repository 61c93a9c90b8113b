import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown, escapeXmlAttr, escapeXmlText, sanitizeTerminal, toXmlChars, XML_REPLACEMENT } from '../../src/report/escape.js';
import { parseXml, textOf } from './xml.js';

// Every character class that matters: XML-illegal controls, surrogates (paired and lone), markup,
// whitespace that parsers normalise, and astral characters.
const nasty = fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\r', '\n', '\r\n', '\t', '\u0000', '\u0001', '\u001b', '\uFFFE', '\uFFFF', '\uD800', '\uDC00', '😀', '&amp;', '&#13;', ' ', 'a', 'é', '|', '`', '*');
const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.array(nasty, { maxLength: 30 }).map((a) => a.join('')));

function legalXml(s: string): boolean {
  return toXmlChars(s) === s;
}

describe('XML escaping', () => {
  it('any string in text and attributes gives a well-formed document that reads back as the string (illegal characters as U+FFFD)', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, t) => {
        const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<r a="${escapeXmlAttr(a)}" b='${escapeXmlAttr(a)}'>${escapeXmlText(t)}</r>`;
        const root = parseXml(doc);
        expect(root.attrs.a).toBe(toXmlChars(a));
        expect(root.attrs.b).toBe(toXmlChars(a));
        expect(textOf(root)).toBe(toXmlChars(t));
      }),
      { numRuns: 2000 },
    );
  });

  it('strings of legal XML characters round-trip exactly', () => {
    fc.assert(
      fc.property(anyString.filter(legalXml), (s) => {
        const root = parseXml(`<r v="${escapeXmlAttr(s)}">${escapeXmlText(s)}</r>`);
        expect(root.attrs.v).toBe(s);
        expect(textOf(root)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('replaces exactly the characters XML cannot carry', () => {
    expect(toXmlChars('a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf')).toBe(`a${XML_REPLACEMENT}b${XML_REPLACEMENT}c${XML_REPLACEMENT}d${XML_REPLACEMENT}e${XML_REPLACEMENT}f`);
    expect(toXmlChars('tab\there\nnl\rcr')).toBe('tab\there\nnl\rcr');
    expect(toXmlChars('😀')).toBe('😀');
    expect(toXmlChars('x\uD800y')).toBe(`x${XML_REPLACEMENT}y`);
    expect(toXmlChars('x\uDC00y')).toBe(`x${XML_REPLACEMENT}y`);
    expect(escapeXmlText('a ]]> b')).not.toContain(']]>');
  });

  it('the test parser itself rejects what is not well-formed (so the properties above can fail)', () => {
    expect(() => parseXml('<r>a < b</r>')).toThrow();
    expect(() => parseXml('<r>a & b</r>')).toThrow();
    expect(() => parseXml('<r>a ]]> b</r>')).toThrow();
    expect(() => parseXml('<r a="x"y="z"/>')).toThrow();
    expect(() => parseXml('<r a="<"/>')).toThrow();
    expect(() => parseXml('<r a="1" a="2"/>')).toThrow();
    expect(() => parseXml('<r><s></r></s>')).toThrow();
    expect(() => parseXml('<r>\u0001</r>')).toThrow();
    expect(() => parseXml('<r/><r/>')).toThrow();
    expect(() => parseXml('<r>&bogus;</r>')).toThrow();
    expect(parseXml('<r a="x\ny">p\r\nq</r>')).toEqual({ name: 'r', attrs: { a: 'x y' }, children: ['p\nq'] });
  });
});

describe('HTML escaping', () => {
  it('leaves no markup-significant character unescaped', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const e = escapeHtml(s);
        expect(e).not.toMatch(/[<>"'\u0000]/);
        expect(e.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });
});

describe('Markdown escaping', () => {
  it('keeps a table cell one cell on one line with no raw HTML', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const e = escapeMarkdown(s);
        expect(e).not.toMatch(/[\r\n<>]/);
        // Every pipe is backslash-escaped (an odd number of backslashes before it).
        for (const m of e.matchAll(/(\\*)\|/g)) expect((m[1] ?? '').length % 2).toBe(1);
      }),
    );
  });
});

describe('terminal sanitising', () => {
  it('removes escape sequences and line breaks', () => {
    expect(sanitizeTerminal('a\u001b[2Jb\nc\r\u0007')).toBe('a[2Jb c ');
  });
});
