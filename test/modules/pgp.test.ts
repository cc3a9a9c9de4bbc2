import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dearmor } from '../../lib/modules/pgp.js';

const armored = readFileSync(new URL('./fixtures/keys/test-key.asc', import.meta.url), 'utf8');
// Made by `gpg --dearmor` from test-key.asc: the module must write the same keyring gpg would.
const binary = readFileSync(new URL('./fixtures/keys/test-key.gpg', import.meta.url));

test('dearmor gives the bytes gpg --dearmor gives', () => {
  assert.deepEqual(dearmor(armored), binary);
  assert.deepEqual(dearmor(armored.replace(/\n/g, '\r\n')), binary, 'CRLF line ends');
  assert.deepEqual(dearmor(armored.replace('-----\n\n', '-----\nComment: from a keyserver\n\n')), binary, 'armor headers');
});

test('a binary key is kept as it is; garbage is refused', () => {
  assert.deepEqual(dearmor(binary), binary);
  assert.throws(() => dearmor('<html>404 Not Found</html>'), /neither an armored nor a binary OpenPGP key/);
  assert.throws(() => dearmor('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n'), /could not be decoded/);
});

test('several armored blocks are concatenated', () => {
  assert.deepEqual(dearmor(armored + armored), Buffer.concat([binary, binary]));
});
