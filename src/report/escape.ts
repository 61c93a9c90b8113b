/**
 * Escaping of user text (agent names, phase names, findings, error messages) for the three markup
 * languages the reporters write. Every reporter passes user text through one of these and nothing else.
 */

/** Characters XML 1.0 cannot carry at all, not even as a character reference (§2.2 `Char`). */
// Lone surrogates are matched pairwise-aware: a high surrogate not followed by a low one, or a low one
// not preceded by a high one. `\uFFFE` and `\uFFFF` are non-characters that XML forbids too.
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The replacement for characters XML cannot carry: U+FFFD REPLACEMENT CHARACTER. */
export const XML_REPLACEMENT = '\uFFFD';

/**
 * Replaces every character that XML 1.0 cannot represent (C0 controls other than tab, LF, CR; lone
 * surrogates; U+FFFE/U+FFFF) with U+FFFD, so any string can be written into a well-formed document.
 */
export function toXmlChars(s: string): string {
  return s.replace(XML_ILLEGAL, XML_REPLACEMENT);
}

const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const XML_ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser normalises literal tab/LF/CR in attribute values to spaces; references survive.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes text content for XML. `>` is escaped too so `]]>` can never appear; CR is a character
 * reference so the parser's line-end normalisation keeps it. Illegal characters become U+FFFD.
 */
export function escapeXmlText(s: string): string {
  return toXmlChars(s).replace(/[&<>\r]/g, (c) => XML_TEXT[c] ?? c);
}

/** Escapes an XML attribute value (for double- or single-quoted attributes). Illegal characters become U+FFFD. */
export function escapeXmlAttr(s: string): string {
  return toXmlChars(s).replace(/[&<>"'\t\n\r]/g, (c) => XML_ATTR[c] ?? c);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// C0 controls other than tab/LF/CR, and DEL: invisible at best, terminal escape sequences at worst.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Escapes text for HTML text content and quoted attribute values (also inline SVG). Control characters become U+FFFD. */
export function escapeHtml(s: string): string {
  return s.replace(CONTROLS, XML_REPLACEMENT).replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/**
 * Escapes text for a GitHub-flavoured Markdown paragraph or table cell: HTML-significant characters
 * become entities (GitHub renders raw HTML in step summaries), Markdown punctuation is backslash-escaped,
 * `|` cannot split a table cell, newlines become spaces so a row stays one line, and control characters
 * become U+FFFD.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(CONTROLS, XML_REPLACEMENT)
    .replace(/\r\n?|\n/g, ' ')
    .replace(/[\\`*_[\]~#|!]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML[c] ?? c);
}

/**
 * Removes control characters (including ESC, so no terminal escape sequence gets through) from text
 * printed to a terminal. Tabs and newlines become spaces so a progress line stays one line.
 */
export function sanitizeTerminal(s: string): string {
  return s.replace(/[\t\n\r]/g, ' ').replace(/[\u0000-\u001F\u007F-\u009F]/g, '');
}
