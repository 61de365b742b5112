import { createHash } from 'node:crypto';

/** The id git gives a blob with this content, without asking git. */
export function gitBlobId(content: string | Buffer, format: 'sha1' | 'sha256'): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash(format).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
