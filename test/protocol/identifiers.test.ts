import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isIPv6,
  isValidEventId,
  isValidKeyId,
  isValidNamespacedIdentifier,
  isValidRoomAlias,
  isValidRoomId,
  isValidServerName,
  isValidUserId,
  isValidUserLocalpart,
  parseEventId,
  parseKeyId,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
  serverNameOf,
} from '../../src/protocol/identifiers.js';
import { roomVersion } from '../../src/protocol/room-versions.js';

const HASH_STD = 'CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o'; // the v3 example from the spec
const HASH_URL = 'Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg'; // the v4 example from the spec
const HASH_SLASH = 'abc/def+ghijklmnopqrstuvwxyz0123456789ABCDE'; // standard-only alphabet

describe('server names', () => {
  const valid: Array<[string, ReturnType<typeof parseServerName>]> = [
    ['matrix.org', { host: 'matrix.org', kind: 'dns' }],
    ['matrix.org:8888', { host: 'matrix.org', kind: 'dns', port: 8888 }],
    ['1.2.3.4', { host: '1.2.3.4', kind: 'ipv4' }],
    ['1.2.3.4:1234', { host: '1.2.3.4', kind: 'ipv4', port: 1234 }],
    ['[1234:5678::abcd]', { host: '[1234:5678::abcd]', kind: 'ipv6' }],
    ['[1234:5678::abcd]:5678', { host: '[1234:5678::abcd]', kind: 'ipv6', port: 5678 }],
    ['localhost', { host: 'localhost', kind: 'dns' }],
    ['MATRIX.org', { host: 'MATRIX.org', kind: 'dns' }],
    ['my-server.example.com:0', { host: 'my-server.example.com', kind: 'dns', port: 0 }],
    ['[::1]', { host: '[::1]', kind: 'ipv6' }],
    ['[::ffff:192.0.2.1]:8448', { host: '[::ffff:192.0.2.1]', kind: 'ipv6', port: 8448 }],
  ];
  for (const [name, parsed] of valid) {
    test(`accepts ${name}`, () => assert.deepEqual(parseServerName(name), parsed));
  }

  const invalid = [
    '',
    'matrix.org:',
    'matrix.org:123456',
    'matrix.org:port',
    'exa_mple.org',
    'ex ample.org',
    'a..b',
    '.example.org',
    'example.org.',
    '256.1.1.1',
    '1.2.3.4:',
    '[1234:5678::abcd',
    '[1234:5678::abcd]x',
    '[1:2:3:4:5:6:7:8:9]',
    '[1::2::3]',
    '[not-ipv6]',
    '1234:5678::abcd',
    'a'.repeat(256),
    'bücher.example',
  ];
  for (const name of invalid) {
    test(`rejects ${JSON.stringify(name.length > 40 ? name.slice(0, 10) + '…' : name)}`, () => {
      assert.equal(isValidServerName(name), false);
    });
  }

  test('validates IPv6 literals per RFC 3513', () => {
    for (const ok of ['1:2:3:4:5:6:7:8', '::', '::1', '1::', 'fe80::1:2', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4']) {
      assert.ok(isIPv6(ok), ok);
    }
    for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.256', ':1:2', 'g::']) {
      assert.equal(isIPv6(bad), false, bad);
    }
  });
});

describe('user ids', () => {
  test('parses the localpart and server name, splitting at the first colon', () => {
    assert.deepEqual(parseUserId('@alice:example.org:8448'), {
      localpart: 'alice',
      serverName: 'example.org:8448',
      compliant: true,
    });
  });

  test('strict grammar allows a-z, 0-9 and ._=-/+ only', () => {
    assert.ok(isValidUserId('@a.b_c=d-e/f+9:example.org', 'strict'));
    for (const bad of ['@Alice:example.org', '@al ice:example.org', '@:example.org', '@al#ice:example.org', '@é:example.org']) {
      assert.equal(isValidUserId(bad, 'strict'), false, bad);
    }
    assert.ok(isValidUserLocalpart('bob'));
    assert.equal(isValidUserLocalpart('Bob'), false);
  });

  test('historical grammar accepts upper case, punctuation, non-ASCII, control characters and empty localparts', () => {
    for (const id of ['@Alice:example.org', '@al ice:example.org', '@:example.org', '@日本:example.org', '@a\u0001b:example.org']) {
      const parsed = parseUserId(id);
      assert.ok(parsed, id);
      assert.equal(parsed.compliant, false);
    }
  });

  test('historical grammar still refuses NUL, lone surrogates and bad server names', () => {
    for (const bad of ['@a\u0000b:example.org', '@a\ud800:example.org', '@alice:exa_mple.org', '@alice', 'alice:example.org']) {
      assert.equal(isValidUserId(bad), false, JSON.stringify(bad));
    }
  });

  test('limits user ids to 255 bytes, counting UTF-8 bytes', () => {
    const domain = ':example.org';
    assert.ok(isValidUserId('@' + 'a'.repeat(255 - 1 - domain.length) + domain, 'strict'));
    assert.equal(isValidUserId('@' + 'a'.repeat(256 - 1 - domain.length) + domain, 'strict'), false);
    // 'é' is two bytes: 121 of them plus 13 bytes of sigil and domain is 255, one more is 257.
    assert.ok(isValidUserId('@' + 'é'.repeat(121) + domain));
    assert.equal(isValidUserId('@' + 'é'.repeat(122) + domain), false);
  });
});

describe('room ids', () => {
  test('parses domain room ids', () => {
    assert.deepEqual(parseRoomId('!abc123:matrix.org'), { opaque: 'abc123', serverName: 'matrix.org' });
  });

  test('parses v12 room ids, which carry a URL-safe hash and no domain', () => {
    assert.deepEqual(parseRoomId('!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ'), {
      opaque: 'Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ',
    });
  });

  test('checks the form against the room version', () => {
    assert.ok(isValidRoomId('!abc:matrix.org', roomVersion('11')));
    assert.equal(isValidRoomId('!abc:matrix.org', roomVersion('12')), false);
    assert.ok(isValidRoomId('!' + HASH_URL, roomVersion('12')));
    assert.equal(isValidRoomId('!' + HASH_URL, roomVersion('11')), false);
  });

  test('rejects malformed room ids', () => {
    for (const bad of ['abc:matrix.org', '!', '!:matrix.org', '!short', '!' + HASH_SLASH, '!abc:bad_host', '!a\u0000:x.org']) {
      assert.equal(isValidRoomId(bad), false, JSON.stringify(bad));
    }
    assert.equal(isValidRoomId('!' + 'a'.repeat(250) + ':x.org'), false);
  });
});

describe('event ids', () => {
  test('recognises each format', () => {
    assert.deepEqual(parseEventId('$a4ecee13e2accdadf56c1025:example.com'), {
      format: 'v1',
      opaque: 'a4ecee13e2accdadf56c1025',
      serverName: 'example.com',
    });
    assert.deepEqual(parseEventId('$' + HASH_SLASH), { format: 'v3', opaque: HASH_SLASH });
    assert.deepEqual(parseEventId('$' + HASH_URL), { format: 'v4', opaque: HASH_URL });
  });

  test('checks the format against the room version', () => {
    const v1 = roomVersion('1');
    const v3 = roomVersion('3');
    const v4 = roomVersion('4');
    assert.ok(isValidEventId('$abc:example.com', v1));
    assert.equal(isValidEventId('$' + HASH_STD, v1), false);
    assert.ok(isValidEventId('$' + HASH_STD, v3));
    assert.ok(isValidEventId('$' + HASH_SLASH, v3));
    assert.equal(isValidEventId('$' + HASH_URL, v3), false);
    assert.ok(isValidEventId('$' + HASH_URL, v4));
    assert.equal(isValidEventId('$' + HASH_SLASH, v4), false);
    assert.equal(isValidEventId('$abc:example.com', v4), false);
  });

  test('rejects malformed event ids', () => {
    for (const bad of ['', '$', 'abc:example.com', '$abc', '$' + HASH_URL + 'x', '$:example.com', '$a:bad host']) {
      assert.equal(isValidEventId(bad), false, JSON.stringify(bad));
    }
  });
});

describe('room aliases', () => {
  test('parses aliases with any localpart except colon and NUL', () => {
    assert.deepEqual(parseRoomAlias('#Room Name!:example.org'), { localpart: 'Room Name!', serverName: 'example.org' });
    assert.ok(isValidRoomAlias('#日本:example.org:8448'));
  });

  test('rejects malformed aliases', () => {
    for (const bad of ['#:example.org', 'room:example.org', '#room', '#ro\u0000om:example.org', '#room:exa mple.org']) {
      assert.equal(isValidRoomAlias(bad), false, JSON.stringify(bad));
    }
    assert.equal(isValidRoomAlias('#' + 'a'.repeat(243) + ':example.org'), false);
  });
});

describe('key ids', () => {
  test('splits algorithm and version', () => {
    assert.deepEqual(parseKeyId('ed25519:a_Xy9'), { algorithm: 'ed25519', version: 'a_Xy9' });
  });

  test('refuses versions outside [a-zA-Z0-9_]', () => {
    for (const bad of ['ed25519', 'ed25519:', 'ed25519:a-b', 'ed25519:a:b', ':abc', 'ED25519:1']) {
      assert.equal(isValidKeyId(bad), false, bad);
    }
  });
});

describe('serverNameOf', () => {
  test('returns the domain of ids that carry one', () => {
    assert.equal(serverNameOf('@u:example.org:8448'), 'example.org:8448');
    assert.equal(serverNameOf('#a:b.org'), 'b.org');
    assert.equal(serverNameOf('!r:[::1]:80'), '[::1]:80');
    assert.equal(serverNameOf('$e:c.org'), 'c.org');
  });

  test('returns undefined for hash ids and malformed ids', () => {
    assert.equal(serverNameOf('$' + HASH_URL), undefined);
    assert.equal(serverNameOf('!' + HASH_URL), undefined);
    assert.equal(serverNameOf('@nodomain'), undefined);
    assert.equal(serverNameOf('plain'), undefined);
  });
});

describe('namespaced identifiers', () => {
  test('follow the common namespaced identifier grammar', () => {
    assert.ok(isValidNamespacedIdentifier('m.room.message'));
    assert.ok(isValidNamespacedIdentifier('com.example-x_1'));
    for (const bad of ['', 'M.room', '1abc', 'a b', 'a'.repeat(256)]) assert.equal(isValidNamespacedIdentifier(bad), false, bad);
  });
});
