import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';

const schema = JSON.parse(readFileSync(new URL('../schema/spdx-schema-2.3.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

/** The official SPDX 2.3 JSON schema's errors for `document` (empty when it validates). */
export function spdxSchemaErrors(document: unknown): ErrorObject[] {
  return validate(document) ? [] : [...(validate.errors ?? [])];
}
