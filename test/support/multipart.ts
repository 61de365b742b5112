// `multipart/form-data` bodies, byte for byte as a browser or curl builds them (release uploads,
// environment configs).

export interface FormPart {
  readonly name: string;
  readonly value: string | Buffer;
  /** Present: a file part. */
  readonly filename?: string;
  readonly contentType?: string;
}

export const FORM_BOUNDARY = '----trainyard-test-7MA4YWxkTrZu0gW';

export function multipartBody(
  parts: readonly FormPart[],
  boundary = FORM_BOUNDARY,
): { payload: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'));
    chunks.push(typeof part.value === 'string' ? Buffer.from(part.value, 'utf8') : part.value);
    chunks.push(Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A form of plain text fields, in the order given. */
export function fieldsBody(
  fields: Readonly<Record<string, string>> | readonly (readonly [string, string])[],
): { payload: Buffer; contentType: string } {
  const entries = Array.isArray(fields) ? fields : Object.entries(fields);
  return multipartBody(entries.map(([name, value]) => ({ name, value })));
}
