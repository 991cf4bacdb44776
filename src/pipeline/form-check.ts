// Checks a client's answer to the one elicitation form this server sends, so the SDK needs no JSON Schema engine.
import type { jsonSchemaValidator, JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

type Primitive = 'boolean' | 'string' | 'number' | 'integer';

function fits(value: unknown, type: Primitive): boolean {
  if (type === 'integer') return Number.isInteger(value);
  return typeof value === type;
}

/**
 * Flat forms only (an object of boolean, string, number or integer fields), which is all that
 * elicitation allows and all we ask. Anything else is refused rather than waved through.
 */
export const formCheck: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const properties = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    return (input) => {
      const fail = (errorMessage: string) => ({ valid: false as const, data: undefined, errorMessage });
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return fail('the answer is not an object');
      const answer = input as Record<string, unknown>;
      for (const [name, field] of Object.entries(properties)) {
        const type = field.type as Primitive | undefined;
        if (!(name in answer)) {
          if (required.has(name)) return fail(`${name} is missing`);
          continue;
        }
        if (type === undefined || !fits(answer[name], type)) return fail(`${name} must be a ${type ?? 'known type'}`);
      }
      return { valid: true as const, data: input as T, errorMessage: undefined };
    };
  },
};
