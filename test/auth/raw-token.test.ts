import { describe, expect, it } from 'vitest';
import { BEARER_MESSAGE, checkRawToken, MAX_TOKEN_LENGTH } from '../../agent/auth/raw-token.js';
import { AgentError } from '../../agent/errors.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

function codeOf(header: string | undefined): string {
  try {
    checkRawToken(header);
    return 'accepted';
  } catch (error) {
    return error instanceof AgentError ? error.code : 'other';
  }
}

describe('checkRawToken', () => {
  it('returns a raw compact JWT unchanged', () => {
    expect(checkRawToken(JWT)).toBe(JWT);
  });

  it.each<[string, string | undefined, string]>([
    ['an absent header', undefined, 'MissingToken'],
    ['an empty header', '', 'MissingToken'],
    ['a Bearer prefix', `Bearer ${JWT}`, 'MalformedToken'],
    ['a lower-case bearer prefix', `bearer ${JWT}`, 'MalformedToken'],
    ['a trailing newline', `${JWT}\n`, 'MalformedToken'],
    ['a CR/LF in the middle', `${JWT}\r\nX-Injected: 1`, 'MalformedToken'],
    ['a tab', `${JWT}\t`, 'MalformedToken'],
    ['a non-ASCII character', `${JWT}é`, 'MalformedToken'],
    ['a value over 16 KiB', `${JWT}${'a'.repeat(MAX_TOKEN_LENGTH)}`, 'MalformedToken'],
    ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', 'MalformedToken'],
    ['four segments', `${JWT}.x`, 'MalformedToken'],
    ['standard base64 characters', 'ab+c.de/f.gh=', 'MalformedToken'],
    ['an empty payload segment', 'eyJhbGciOiJSUzI1NiJ9..c2ln', 'MalformedToken'],
  ])('refuses %s', (_, header, code) => {
    expect(codeOf(header)).toBe(code);
  });

  it('tells a client that sent a Bearer prefix to send the raw token', () => {
    expect(() => checkRawToken(`Bearer ${JWT}`)).toThrow(BEARER_MESSAGE);
    expect(BEARER_MESSAGE).toMatch(/raw service-account token/);
  });

  it('lets an unsigned token through to verification, which refuses it as invalid', () => {
    expect(codeOf('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe('accepted');
  });
});
