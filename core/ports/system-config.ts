/**
 * Settings LogFlow keeps in its own database (table `system_config`), one JSON value per key: what a
 * process must know about what earlier processes did, such as the retention last applied.
 */
export interface SystemConfigRepo {
  /** The value stored under `key`, or null. */
  get<T>(key: string): Promise<T | null>;
  /** Store `value` under `key`, replacing what was there. */
  set(key: string, value: unknown): Promise<void>;
}
