// docs/http-api.md: the OpenAPI document as a page people read, generated with openapi.yaml
// (`npm run openapi`) so that the reference cannot drift from the served API.

interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly anyOf?: readonly Schema[];
  readonly nullable?: boolean;
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: Schema;
}

interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Record<string, { schema?: Schema }>;
  };
  readonly responses?: Readonly<
    Record<string, { readonly description?: string; readonly content?: Record<string, { schema?: Schema }> }>
  >;
}

export interface OpenApiDocument {
  readonly info: { readonly title: string; readonly description?: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, Schema>> };
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const anchor = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** A short type for a table cell: `string (max 63, ^[a-z0-9]+$)`, `[Lock]`, `{string: Lock}`. */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return `[${refName(schema.$ref)}](#${anchor(refName(schema.$ref))})`;
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array') return `list of ${typeOf(schema.items)}`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  const limits: string[] = [];
  if (schema.maxLength !== undefined) limits.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) limits.push(`>= ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`<= ${schema.maximum}`);
  if (schema.pattern) limits.push(`\`${schema.pattern}\``);
  const base = schema.type ?? 'any';
  return `${base}${schema.nullable ? ' or null' : ''}${limits.length ? ` (${limits.join(', ')})` : ''}`;
}

function fieldsTable(schema: Schema): string[] {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return [];
  const required = new Set(schema.required ?? []);
  return [
    '| field | type | required | |',
    '|---|---|---|---|',
    ...properties.map(
      ([name, field]) =>
        `| \`${name}\` | ${cell(typeOf(field))} | ${required.has(name) ? 'yes' : ''} | ${cell(field.description ?? '')} |`,
    ),
  ];
}

function renderOperation(method: string, path: string, operation: Operation): string[] {
  const lines = [`### ${method.toUpperCase()} \`${path}\``, ''];
  if (operation.summary) lines.push(operation.summary, '');
  if (operation.description) lines.push(operation.description, '');
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    lines.push('| parameter | in | type | required | |', '|---|---|---|---|---|');
    for (const parameter of [...parameters].sort((a, b) => (a.in === b.in ? 0 : a.in === 'path' ? -1 : 1))) {
      lines.push(
        `| \`${parameter.name}\` | ${parameter.in} | ${cell(typeOf(parameter.schema))} | ${parameter.required ? 'yes' : ''} | ${cell(parameter.description ?? '')} |`,
      );
    }
    lines.push('');
  }
  const body = operation.requestBody;
  if (body?.content) {
    for (const [mediaType, { schema }] of Object.entries(body.content)) {
      lines.push(`Body (\`${mediaType}\`${body.required ? '' : ', optional'}): ${typeOf(schema)}`, '');
      if (schema && !schema.$ref) {
        const table = fieldsTable(schema);
        if (table.length > 0) lines.push(...table, '');
      }
    }
  }
  const responses = Object.entries(operation.responses ?? {});
  if (responses.length > 0) {
    lines.push('| answer | body | |', '|---|---|---|');
    for (const [status, response] of responses) {
      const schema = Object.values(response.content ?? {})[0]?.schema;
      const description = response.description === 'Default Response' ? '' : (response.description ?? '');
      lines.push(`| ${status} | ${schema ? cell(typeOf(schema)) : ''} | ${cell(description)} |`);
    }
    lines.push('');
  }
  return lines;
}

export function renderApiReference(document: OpenApiDocument): string {
  const lines = [
    '# HTTP API reference',
    '',
    '<!-- Generated from the OpenAPI document by `npm run openapi`; do not edit by hand. -->',
    '',
    `${document.info.description ?? ''} The same description is served as OpenAPI at`,
    '`GET /openapi.json` and committed as `openapi/openapi.yaml`. Every error is JSON',
    '`{statusCode, error, message, code}`; the codes are listed in the README.',
    '',
  ];
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? 'other';
      const section = byTag.get(tag) ?? [];
      section.push(...renderOperation(method, path, operation));
      byTag.set(tag, section);
    }
  }
  for (const [tag, section] of byTag)
    lines.push(`## ${tag[0]?.toUpperCase()}${tag.slice(1)}`, '', ...section);
  lines.push('## Shapes', '');
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    lines.push(`### ${name}`, '');
    if (schema.description) lines.push(schema.description, '');
    const table = fieldsTable(schema);
    lines.push(...(table.length > 0 ? table : [typeOf(schema)]), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
