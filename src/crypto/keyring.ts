import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * Key-encryption keys (KEKs). Each record's data key is wrapped by the
 * current KEK; older KEKs stay to unwrap what they wrapped until
 * `admin rotate-keys` re-encrypts everything under the newest.
 */
const KeyringFile = z.object({
  current: z.string().min(1),
  keys: z.array(z.object({ id: z.string().min(1).max(64), key: z.string() })).min(1),
});

export interface Sealed {
  /** KEK id that wrapped the data key. */
  kid: string;
  /** The data key, wrapped (AES-256-GCM) by the KEK: iv.tag.ciphertext, base64url. */
  dek: string;
  /** The payload under the data key: iv.tag.ciphertext, base64url. */
  data: string;
}

const b64 = (b: Buffer) => b.toString('base64url');

function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ct].map(b64).join('.');
}

function gcmOpen(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const [iv, tag, ct] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !ct) throw new Error('malformed ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
}

export class Keyring {
  private readonly keys: Map<string, Buffer>;

  constructor(
    keys: { id: string; key: Buffer }[],
    readonly currentId: string,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    for (const [id, key] of this.keys) if (key.length !== 32) throw new ConfigError(`keyring key "${id}" must be 32 bytes`);
    if (!this.keys.has(currentId)) throw new ConfigError(`keyring has no key "${currentId}" (its "current")`);
  }

  static parse(json: string): Keyring {
    const parsed = KeyringFile.safeParse(JSON.parse(json));
    if (!parsed.success) throw new ConfigError(`keyring is malformed: ${parsed.error.issues[0]?.message}`);
    return new Keyring(parsed.data.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })), parsed.data.current);
  }

  static generate(id = `k${Date.now()}`): { keyring: Keyring; json: string } {
    const key = randomBytes(32);
    return { keyring: new Keyring([{ id, key }], id), json: JSON.stringify({ current: id, keys: [{ id, key: key.toString('base64') }] }, null, 2) };
  }

  /** Whether this keyring holds the key `id` (an import checks the key ids its file needs). */
  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** Encrypts under a fresh data key; `aad` binds the ciphertext to its owner (organization, record). */
  seal(plaintext: Buffer, aad: string): Sealed {
    const dataKey = randomBytes(32);
    const aadBuf = Buffer.from(aad);
    const sealed: Sealed = {
      kid: this.currentId,
      dek: gcmSeal(this.keys.get(this.currentId)!, dataKey, aadBuf),
      data: gcmSeal(dataKey, plaintext, aadBuf),
    };
    dataKey.fill(0);
    return sealed;
  }

  /** Throws when the key is unknown, the data was altered, or it belongs to another owner. */
  open(sealed: Sealed, aad: string): Buffer {
    const kek = this.keys.get(sealed.kid);
    if (!kek) throw new Error(`unknown key id ${sealed.kid}`);
    const aadBuf = Buffer.from(aad);
    const dataKey = gcmOpen(kek, sealed.dek, aadBuf);
    try {
      return gcmOpen(dataKey, sealed.data, aadBuf);
    } finally {
      dataKey.fill(0);
    }
  }
}

/**
 * KEYRING (JSON in the environment) or KEYRING_FILE; with neither and outside
 * production, a keyring generated once into the data directory, mode 0600.
 */
export async function loadKeyring(config: Pick<Config, 'keyring' | 'dataDir'>, logger: Logger): Promise<Keyring> {
  if (config.keyring.json) return Keyring.parse(config.keyring.json);
  if (config.keyring.file) return Keyring.parse(await readFile(config.keyring.file, 'utf8'));
  const file = path.resolve(config.dataDir, 'keyring.json');
  try {
    return Keyring.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { keyring, json } = Keyring.generate();
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, json, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    logger.warn({ file }, 'KEYRING is unset: generated a credentials keyring for this data directory (keep it with the data)');
    return keyring;
  }
}
