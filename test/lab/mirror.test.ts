import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorFromSources } from '../../lab/mirror.js';

test('the mirror comes from the controller\'s deb822 sources, skipping security and other suites', () => {
  const text = [
    'Types: deb',
    'URIs: http://security.debian.org/debian-security',
    'Suites: bookworm-security',
    '',
    'Types: deb deb-src',
    'URIs: http://mirror.example/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
  ].join('\n');
  assert.equal(mirrorFromSources(text, 'deb822'), 'http://mirror.example/debian');
});

test('the mirror comes from one-line sources, options and comments ignored', () => {
  const text = '# deb http://old/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian bookworm main\n';
  assert.equal(mirrorFromSources(text, 'one-line'), 'http://ftp.example/debian');
  assert.equal(mirrorFromSources('deb http://ftp.example/debian bullseye main\n', 'one-line'), undefined);
});
