// OpenPGP ASCII armor, decoded here rather than with gpg on the host: the keyring's bytes are then
// known before anything runs, so check mode compares them exactly and the write is one atomic put.
import { ModuleError } from './module.js';

const BEGIN = /^-----BEGIN PGP (PUBLIC KEY BLOCK|SIGNATURE|MESSAGE|PRIVATE KEY BLOCK)-----$/;
const END = /^-----END PGP [A-Z ]+-----$/;

/** The binary form of an armored key (several blocks are concatenated); binary input is returned as is. */
export function dearmor(key: string | Buffer): Buffer {
  const text = typeof key === 'string' ? key : key.toString('latin1');
  if (!text.includes('-----BEGIN PGP')) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
    if (bytes.length === 0 || (bytes[0]! & 0x80) === 0) throw new ModuleError('the key is neither an armored nor a binary OpenPGP key');
    return bytes;
  }
  const blocks: Buffer[] = [];
  let body: string[] | undefined;
  let inHeaders = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (BEGIN.test(line)) {
      body = [];
      inHeaders = true;
      continue;
    }
    if (!body) continue;
    if (END.test(line)) {
      blocks.push(Buffer.from(body.join(''), 'base64'));
      body = undefined;
      continue;
    }
    if (inHeaders) {
      // Armor headers ("Version: …") end at the first empty line; a base64 line means there were none.
      if (line === '') inHeaders = false;
      else if (!/^[A-Za-z][A-Za-z-]*: /.test(line)) {
        inHeaders = false;
        body.push(line);
      }
      continue;
    }
    if (line.startsWith('=')) continue; // the CRC24 checksum line
    body.push(line);
  }
  if (blocks.length === 0 || blocks.some((b) => b.length === 0 || (b[0]! & 0x80) === 0)) {
    throw new ModuleError('the armored key could not be decoded');
  }
  return Buffer.concat(blocks);
}
