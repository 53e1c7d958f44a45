import type { ApiKey, ApiKeyScope } from "../api-keys/schema.ts";

/** The key's owner and what it may do, for authentication. */
export interface ApiKeyPrincipal {
  keyId: number;
  userId: number;
  username: string;
  isAdmin: boolean;
  scopes: ApiKeyScope[];
}

export interface ApiKeyRepo {
  create(key: {
    userId: number;
    name: string;
    prefix: string;
    keyHash: string;
    scopes: ApiKeyScope[];
  }): Promise<ApiKey>;
  /** Keys of one user, or every key when `userId` is undefined (admin). */
  list(userId?: number): Promise<ApiKey[]>;
  get(id: number): Promise<ApiKey | null>;
  /** Marks the key revoked; returns false when it was absent or revoked already. */
  revoke(id: number): Promise<boolean>;
  /** The active (unrevoked) key with this hash, with its owner, noting the use. */
  authenticate(keyHash: string): Promise<ApiKeyPrincipal | null>;
}
