// ansible-vault's format, with node:crypto only, so files and values encrypted by `ansible-vault`
// open here and the other way round:
//   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds `;label`, the vault id)
//   hex( hex(salt) \n hex(hmac) \n hex(ciphertext) ), in lines of 80 columns, then a newline.
// Keys: PBKDF2-HMAC-SHA256, 10000 iterations, 80 bytes = AES key (32) | HMAC key (32) | CTR IV (16).
// The plaintext is PKCS#7-padded to the AES block before AES-256-CTR (as Ansible does, though CTR
// needs no padding), and the HMAC-SHA256 covers the ciphertext.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const CIPHER = 'AES256';
const ITERATIONS = 10_000;
const KEY_BYTES = 32;
const IV_BYTES = 16;
const BLOCK_BYTES = 16;
const LINE_WIDTH = 80;

/** Why a vault text could not be opened; callers turn it into a UserError at the right place. */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly reason: 'format' | 'password',
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The vault id of a 1.2 header. */
  label?: string;
  /** The hex payload, lines joined. */
  payload: string;
}

/** True when the text is vault-encrypted (Ansible looks at the start of the data only). */
export function isVaultText(text: string | Buffer): boolean {
  const start = typeof text === 'string' ? text.trimStart().slice(0, VAULT_HEADER.length) : text.subarray(0, 64).toString('latin1').trimStart();
  return start.startsWith(VAULT_HEADER);
}

export function parseVaultEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.trim().split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) {
    throw new VaultError(`not an ansible-vault header (expected ${VAULT_HEADER};1.1;${CIPHER})`, 'format');
  }
  const [, version, cipher, label] = header as [string, string, string, string?];
  if (version !== '1.1' && version !== '1.2') throw new VaultError(`unsupported vault format version '${version}' (expected 1.1 or 1.2)`, 'format');
  if (cipher !== CIPHER) throw new VaultError(`unsupported vault cipher '${cipher}' (expected ${CIPHER})`, 'format');
  const payload = lines
    .slice(1)
    .map((l) => l.trim())
    .join('');
  return { version, cipher, ...(label ? { label } : {}), payload };
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new VaultError(`vault data is damaged (${what} is not hexadecimal)`, 'format');
  return Buffer.from(text, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_BYTES + IV_BYTES, 'sha256');
  return {
    aesKey: derived.subarray(0, KEY_BYTES),
    hmacKey: derived.subarray(KEY_BYTES, 2 * KEY_BYTES),
    iv: derived.subarray(2 * KEY_BYTES),
  };
}

function passwordBytes(password: string | Buffer): Buffer {
  const bytes = Buffer.isBuffer(password) ? password : Buffer.from(password, 'utf8');
  if (bytes.length === 0) throw new VaultError('the vault password is empty', 'password');
  return bytes;
}

function pad(data: Buffer): Buffer {
  const n = BLOCK_BYTES - (data.length % BLOCK_BYTES);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function unpad(data: Buffer): Buffer {
  const n = data.length > 0 ? data[data.length - 1]! : 0;
  if (n < 1 || n > BLOCK_BYTES || n > data.length || !data.subarray(data.length - n).every((b) => b === n)) {
    throw new VaultError('vault data is damaged (bad padding)', 'format');
  }
  return data.subarray(0, data.length - n);
}

/** Decrypts a vault text (a whole file, or the content of a `!vault` value) to its plaintext bytes. */
export function decryptVault(text: string, password: string | Buffer): Buffer {
  const envelope = parseVaultEnvelope(text);
  const inner = unhex(envelope.payload, 'the payload').toString('latin1');
  const parts = inner.split('\n');
  if (parts.length !== 3) throw new VaultError('vault data is damaged (expected salt, hmac and ciphertext)', 'format');
  const salt = unhex(parts[0]!, 'the salt');
  const mac = unhex(parts[1]!, 'the hmac');
  const ciphertext = unhex(parts[2]!, 'the ciphertext');
  const { aesKey, hmacKey, iv } = deriveKeys(passwordBytes(password), salt);
  const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new VaultError('decryption failed: wrong vault password (or the data was changed)', 'password');
  }
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  return unpad(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

export interface EncryptOptions {
  /** A vault id: writes a 1.2 header `$ANSIBLE_VAULT;1.2;AES256;label` (not for 'default'). */
  label?: string;
  /** For tests: a fixed salt (32 random bytes otherwise, as Ansible). */
  salt?: Buffer;
}

/** Encrypts to a vault text: header, 80-column hex lines, final newline (as ansible-vault writes). */
export function encryptVault(plaintext: string | Buffer, password: string | Buffer, options: EncryptOptions = {}): string {
  if (options.label !== undefined && !/^[^;\s]+$/.test(options.label)) {
    throw new VaultError(`invalid vault id '${options.label}' (expected a label without spaces or ';')`, 'format');
  }
  const data = Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext, 'utf8');
  const salt = options.salt ?? randomBytes(32);
  const { aesKey, hmacKey, iv } = deriveKeys(passwordBytes(password), salt);
  const cipher = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(pad(data)), cipher.final()]);
  const mac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = [salt.toString('hex'), mac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const payload = Buffer.from(inner, 'latin1').toString('hex');
  const labelled = options.label !== undefined && options.label !== 'default';
  const header = labelled ? `${VAULT_HEADER};1.2;${CIPHER};${options.label}` : `${VAULT_HEADER};1.1;${CIPHER}`;
  const lines = [header];
  for (let i = 0; i < payload.length; i += LINE_WIDTH) lines.push(payload.slice(i, i + LINE_WIDTH));
  return lines.join('\n') + '\n';
}
