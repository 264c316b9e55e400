import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { aclHostOf, parseServerAcl, serverAclAllows } from '../../src/protocol/server-acl.js';

type Case = [server: string, content: Record<string, unknown> | undefined, allowed: boolean, why: string];

const CASES: Case[] = [
  ['evil.com', undefined, true, 'no ACL in the room allows everyone'],
  ['good.org', { allow: ['*'] }, true, 'allow * admits any server'],
  ['good.org', {}, false, 'a missing allow list denies everyone'],
  ['good.org', { allow: 'good.org' }, false, 'an allow that is not a list counts as empty'],
  ['good.org', { allow: [42, 'good.org'] }, true, 'non-string entries are ignored, the rest apply'],
  ['evil.com', { allow: ['*'], deny: ['evil.com'] }, false, 'a deny match denies'],
  ['evil.com', { allow: ['evil.com'], deny: ['evil.com'] }, false, 'deny wins over allow'],
  ['evil.com:8448', { allow: ['*'], deny: ['evil.com'] }, false, 'the port is ignored'],
  ['evil.com:1234', { allow: ['*'], deny: ['evil.com'] }, false, 'any port is ignored'],
  ['evil.com', { allow: ['*'], deny: ['evil.com:8448'] }, true, 'a pattern with a port never matches a host'],
  ['EVIL.com', { allow: ['*'], deny: ['evil.COM'] }, false, 'matching is case-insensitive'],
  ['sub.evil.com', { allow: ['*'], deny: ['*.evil.com'] }, false, '* matches a subdomain prefix'],
  ['evil.com', { allow: ['*'], deny: ['*.evil.com'] }, true, '*.evil.com does not match evil.com itself'],
  ['a.evil.com', { allow: ['*'], deny: ['?.evil.com'] }, false, '? matches exactly one character'],
  ['ab.evil.com', { allow: ['*'], deny: ['?.evil.com'] }, true, '? does not match two characters'],
  ['notevil.com', { allow: ['*'], deny: ['evil.com'] }, true, 'patterns match the whole name, not a substring'],
  ['good.org', { allow: ['good.org'] }, true, 'an exact allow admits that server'],
  ['other.org', { allow: ['good.org'] }, false, 'servers matching no allow entry are denied'],
  ['1.2.3.4', { allow: ['*'], allow_ip_literals: false }, false, 'IPv4 literals denied when allow_ip_literals is false'],
  ['1.2.3.4:8448', { allow: ['*'], allow_ip_literals: false }, false, 'IPv4 literal with a port is still a literal'],
  ['[::1]', { allow: ['*'], allow_ip_literals: false }, false, 'IPv6 literals denied when allow_ip_literals is false'],
  ['[2001:db8::1]:8448', { allow: ['*'], allow_ip_literals: false }, false, 'IPv6 literal with a port'],
  ['1.2.3.4', { allow: ['*'] }, true, 'allow_ip_literals defaults to true'],
  ['1.2.3.4', { allow: ['*'], allow_ip_literals: 'no' }, true, 'a non-boolean allow_ip_literals counts as true'],
  ['1.2.3.4', { allow: ['*'], allow_ip_literals: true, deny: ['1.2.3.*'] }, false, 'IP literals can be denied by glob'],
  ['[::1]:8448', { allow: ['[::1]'] }, true, 'an IPv6 literal is matched with its brackets, without the port'],
  ['good.org', { allow: ['*'], allow_ip_literals: false }, true, 'allow_ip_literals false does not affect DNS names'],
  ['1.2.3.4.example.org', { allow: ['*'], allow_ip_literals: false }, true, 'a DNS name that starts with digits is not a literal'],
];

describe('server ACL matching (m.room.server_acl)', () => {
  for (const [server, content, allowed, why] of CASES) {
    test(`${why}: ${server} -> ${allowed ? 'allowed' : 'denied'}`, () => {
      assert.equal(serverAclAllows(content === undefined ? undefined : parseServerAcl(content), server), allowed);
    });
  }

  test('a hostile pattern with many stars matches in linear time, not by backtracking', () => {
    const acl = parseServerAcl({ allow: ['*'], deny: [`${'*a'.repeat(40)}*b`] });
    // A backtracking matcher would not finish this; the NFA answers at once.
    assert.equal(serverAclAllows(acl, `${'a'.repeat(250)}.org`), true);
  });

  test('host extraction drops the port and tells IP literals apart', () => {
    assert.deepEqual(aclHostOf('example.org:8448'), { host: 'example.org', ipLiteral: false });
    assert.deepEqual(aclHostOf('[::1]:80'), { host: '[::1]', ipLiteral: true });
    assert.deepEqual(aclHostOf('10.0.0.1'), { host: '10.0.0.1', ipLiteral: true });
    assert.deepEqual(aclHostOf('not a server'), { host: 'not a server', ipLiteral: false });
  });
});
