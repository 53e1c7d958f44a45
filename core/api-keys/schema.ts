/** API keys for shippers on the wire; the types the repository, the API and the dashboard use. */
import { z } from "zod";

export const API_KEY_SCOPES = ["ingest", "read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key as its owner sees it: never the key itself after creation. */
export const ApiKeySchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    name: z.string(),
    prefix: z.string().describe("the first characters of the key, to tell keys apart"),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** POST /api/v1/api-keys: the record and, this once, the key. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe("shown once: only its hash is stored"),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

/** GET /api/v1/api-keys. */
export const ApiKeyListSchema = z.object({ api_keys: z.array(ApiKeySchema) });
