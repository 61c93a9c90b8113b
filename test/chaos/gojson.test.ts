/**
 * Go encoding/json wording, checked against messages Go 1.2x produces for the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { decodeStruct, goFloat32, goString, parseGoJson, quoteChar } from '../../src/chaos/gojson.js';

const err = (text: string) => {
  const r = parseGoJson(text);
  return 'error' in r ? r.error : null;
};

describe('parseGoJson: json.Decoder syntax errors', () => {
  it.each([
    ['', 'EOF'],
    ['   \n', 'EOF'],
    ['{', 'unexpected EOF'],
    ['{"a":', 'unexpected EOF'],
    ['"abc', 'unexpected EOF'],
    ['tru', 'unexpected EOF'],
    ['-', 'unexpected EOF'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{a}', "invalid character 'a' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['nul!', "invalid character '!' in literal null (expecting 'l')"],
    ['fx', "invalid character 'x' in literal false (expecting 'a')"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['"a\u0001"', "invalid character '\\x01' in string literal"],
    ['"\\q"', "invalid character 'q' in string escape code"],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ["'", "invalid character '\\'' looking for beginning of value"],
    ['\n{"a":\t\n}', "invalid character '}' looking for beginning of value"],
  ])('%j → %s', (input, message) => {
    expect(err(input)).toBe(message);
  });

  it('limits nesting to 10000 levels like Go', () => {
    expect(err('['.repeat(10_001))).toBe('exceeded max depth');
    expect(err('['.repeat(10_000))).toBe('unexpected EOF');
    expect(err(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBeNull();
  });

  it('reads only the first value (trailing bytes are ignored, as json.Decoder does)', () => {
    expect(parseGoJson('{"a":1} garbage')).toEqual({ value: { k: 'obj', v: [['a', { k: 'num', v: '1' }]] } });
    expect(parseGoJson('12x')).toEqual({ value: { k: 'num', v: '12' } });
  });

  it('decodes escapes and replaces lone surrogates like Go', () => {
    expect(parseGoJson('"\\u00e9\\n\\ud83d\\ude00\\ud800"')).toEqual({ value: { k: 'str', v: 'é\n😀\ufffd' } });
  });
});

describe('decodeStruct: Unmarshal type errors', () => {
  const fields = [
    { key: 'name', type: 'string' as const },
    { key: 'enabled', type: 'bool' as const },
    { key: 'n', type: 'int64' as const },
    { key: 'f', type: 'float32' as const },
  ];
  const ctx = { struct: 'Proxy', path: '', valueType: 'toxiproxy.Proxy' };
  const decode = (text: string) => {
    const parsed = parseGoJson(text);
    if ('error' in parsed) throw new Error(parsed.error);
    return decodeStruct(parsed.value, fields, ctx);
  };

  it('reports the first mismatch with Go wording', () => {
    expect(decode('{"name":1}').error).toBe('json: cannot unmarshal number into Go struct field Proxy.name of type string');
    expect(decode('{"n":"1","name":2}').error).toBe('json: cannot unmarshal string into Go struct field Proxy.n of type int64');
    expect(decode('{"n":1.5}').error).toBe('json: cannot unmarshal number 1.5 into Go struct field Proxy.n of type int64');
    expect(decode('{"n":9223372036854775808}').error).toBe('json: cannot unmarshal number 9223372036854775808 into Go struct field Proxy.n of type int64');
    expect(decode('{"f":1e39}').error).toBe('json: cannot unmarshal number 1e39 into Go struct field Proxy.f of type float32');
    expect(decode('{"enabled":[]}').error).toBe('json: cannot unmarshal array into Go struct field Proxy.enabled of type bool');
    expect(decode('"x"').error).toBe('json: cannot unmarshal string into Go value of type toxiproxy.Proxy');
  });

  it('matches keys case-insensitively, keeps values on null, ignores unknown keys', () => {
    const r = decode('{"NAME":"a","enabled":null,"other":{"x":[1]},"n":9007199254740993}');
    expect(r.error).toBeUndefined();
    expect(r.values.get('name')).toBe('a');
    expect(r.values.has('enabled')).toBe(false);
    expect(r.values.get('n')).toBe(9007199254740993n);
    expect(decode('null').values.size).toBe(0);
  });
});

describe('Go encoding', () => {
  it('formats float32 with the shortest round-trip digits', () => {
    expect(goFloat32(1)).toBe('1');
    expect(goFloat32(0.1)).toBe('0.1');
    expect(goFloat32(Math.fround(0.3))).toBe('0.3');
    expect(goFloat32(0.123456789)).toBe('0.12345679');
    expect(goFloat32(1e-7)).toBe('1e-7');
    expect(goFloat32(-0)).toBe('-0');
  });

  it('escapes <, > and & in strings like Go', () => {
    expect(goString('<a&b>')).toBe('"\\u003ca\\u0026b\\u003e"');
  });

  it('quotes offending bytes like Go', () => {
    expect(quoteChar(0x27)).toBe("'\\''");
    expect(quoteChar(0x22)).toBe(`'"'`);
    expect(quoteChar(0x0a)).toBe("'\\n'");
    expect(quoteChar(0x00)).toBe("'\\x00'");
    expect(quoteChar(0x41)).toBe("'A'");
  });
});
