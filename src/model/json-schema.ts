/** The JSON Schema of the config format, generated from the zod model (for editors). */
import { z } from 'zod'
import { configSchema } from './schema.ts'

/** JSON Schema (draft 2020-12) describing what users write (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return {
    ...schema,
    $id: 'https://portico.dev/schema/portico.schema.json',
    title: 'Portico gateway configuration',
  }
}
