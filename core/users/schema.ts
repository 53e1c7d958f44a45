/** Accounts and their sessions on the wire; the types the repository, the API and the dashboard use. */
import { z } from "zod";

/** A LogFlow account as the API shows it (never with its password hash). */
export const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string(),
    full_name: z.string().nullable(),
    is_active: z.boolean(),
    is_admin: z.boolean(),
    created_at: z.string(),
  })
  .meta({ id: "User" });
export type User = z.infer<typeof UserSchema>;

/** An account just created or changed, with what was said but allowed about its new password. */
export const UserWithWarningsSchema = UserSchema.extend({
  warnings: z
    .array(z.string())
    .optional()
    .describe("outside production: the password is a common breached one (allowed for a local trial)"),
});

/** GET /api/v1/auth/users. */
export const UserListSchema = z.object({ users: z.array(UserSchema) });

/** POST /api/v1/auth/login: a session token (the seed's OAuth2 password-flow answer). */
export const AccessTokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal("bearer"),
  expires_in: z.number().int().describe("seconds"),
});
export type AccessToken = z.infer<typeof AccessTokenSchema>;
