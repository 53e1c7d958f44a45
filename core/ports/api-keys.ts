export const API_KEY_SCOPES = ["ingest", "read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key as its owner sees it: never the key itself after creation. */
export interface ApiKey {
  id: number;
  user_id: number;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  scopes: ApiKeyScope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

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
