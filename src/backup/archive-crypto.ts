import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { ArchiveError } from './archive-format.js';

/**
 * Passphrase encryption of a whole archive, streamed: an envelope
 * `DLXENC1\n [u32 header length] [header JSON] [ciphertext] [16-byte GCM tag]`.
 * The key comes from scrypt over the passphrase and a random salt; the header
 * is authenticated as additional data. A key check in the header tells a wrong
 * passphrase from a damaged file before anything is decrypted.
 */
export const ENCRYPTED_MAGIC = Buffer.from('DLXENC1\n');
const TAG_LENGTH = 16;
// OWASP's scrypt floor (N=2^17, r=8, p=1): about 128 MiB and a fraction of a second per try.
const KDF = { N: 2 ** 17, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE_LENGTH = 12;

const EnvelopeHeader = z.object({
  kdf: z.literal('scrypt'),
  N: z.number().int().min(2 ** 14).max(2 ** 20),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: z.string(),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string(),
  keyCheck: z.string(),
});
type EnvelopeHeader = z.infer<typeof EnvelopeHeader>;

function deriveKeys(passphrase: string, salt: Buffer, kdf: { N: number; r: number; p: number }) {
  const options: ScryptOptions = { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 64 * 1024 * 1024 };
  return new Promise<{ key: Buffer; check: Buffer }>((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 64, options, (err, derived) => {
      if (err) return reject(err);
      resolve({ key: derived.subarray(0, 32), check: createHash('sha256').update(derived.subarray(32)).digest() });
    }),
  );
}

export function checkPassphrase(passphrase: string): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new ArchiveError(`the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  return passphrase;
}

/** A transform that encrypts what is written to it into the envelope format. */
export async function encryptingStream(passphrase: string): Promise<Transform> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const { key, check } = await deriveKeys(checkPassphrase(passphrase), salt, KDF);
  const header: EnvelopeHeader = {
    kdf: 'scrypt', ...KDF, salt: salt.toString('base64'), cipher: 'aes-256-gcm', iv: iv.toString('base64'), keyCheck: check.toString('base64'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  const prefix = Buffer.concat([ENCRYPTED_MAGIC, length, headerBytes]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(prefix);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(prefix);
      }
      done(null, cipher.update(chunk));
    },
    flush(done: TransformCallback) {
      if (!started) this.push(prefix);
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

/** Whether the stream's first bytes are the encrypted envelope's magic. */
export function isEncrypted(firstBytes: Buffer): boolean {
  return firstBytes.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC);
}

async function readExactly(iterator: AsyncIterator<Buffer>, pending: Buffer[], n: number): Promise<Buffer> {
  let have = Buffer.concat(pending);
  while (have.length < n) {
    const next = await iterator.next();
    if (next.done) throw new ArchiveError('the file is cut short');
    have = Buffer.concat([have, next.value]);
  }
  pending.length = 0;
  if (have.length > n) pending.push(have.subarray(n));
  return have.subarray(0, n);
}

/**
 * Decrypts an envelope as a stream. The GCM tag is the last 16 bytes, so the
 * tail is held back until the input ends; a wrong tag fails the stream at its
 * end — after the plaintext was read but before a reader of the archive can
 * have seen its end marker, so an import never commits from an altered file.
 */
export async function decryptingStream(input: Readable, passphrase: string): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pending: Buffer[] = [];
  const magic = await readExactly(iterator, pending, ENCRYPTED_MAGIC.length);
  if (!magic.equals(ENCRYPTED_MAGIC)) throw new ArchiveError('not an encrypted Datalinx export');
  const lengthBytes = await readExactly(iterator, pending, 4);
  const headerLength = lengthBytes.readUInt32BE(0);
  if (headerLength > 4096) throw new ArchiveError('the encryption header is damaged');
  const headerBytes = await readExactly(iterator, pending, headerLength);
  let header: EnvelopeHeader;
  try {
    header = EnvelopeHeader.parse(JSON.parse(headerBytes.toString('utf8')));
  } catch {
    throw new ArchiveError('the encryption header is damaged');
  }
  const { key, check } = await deriveKeys(passphrase, Buffer.from(header.salt, 'base64'), header);
  const expected = Buffer.from(header.keyCheck, 'base64');
  if (expected.length !== check.length || !timingSafeEqual(expected, check)) throw new ArchiveError('wrong passphrase');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  decipher.setAAD(Buffer.concat([magic, lengthBytes, headerBytes]));

  async function* plaintext(): AsyncGenerator<Buffer> {
    let tail = Buffer.concat(pending);
    for (let next: IteratorResult<Buffer> = { done: false, value: Buffer.alloc(0) }; !next.done; next = await iterator.next()) {
      tail = Buffer.concat([tail, next.value]);
      if (tail.length > TAG_LENGTH) {
        const out = decipher.update(tail.subarray(0, tail.length - TAG_LENGTH));
        tail = tail.subarray(tail.length - TAG_LENGTH);
        if (out.length) yield out;
      }
    }
    if (tail.length !== TAG_LENGTH) throw new ArchiveError('the file is cut short');
    decipher.setAuthTag(tail);
    let last: Buffer;
    try {
      last = decipher.final();
    } catch {
      throw new ArchiveError('the encrypted file was altered or cut short (authentication failed)');
    }
    if (last.length) yield last;
  }
  return Readable.from(plaintext(), { objectMode: false });
}
