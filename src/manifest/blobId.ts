import { createHash } from 'node:crypto';
import type { ObjectFormat } from './git.js';

/** The id git gives a blob with this content, without asking git. */
export function gitBlobId(content: string | Buffer, format: ObjectFormat): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash(format).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
