declare module 'warpgrid:shim/database-proxy@0.1.0' {
  export function connect(config: DbConfig): Connection;
  /**
   * Sends bytes; returns how many were accepted.
   */
  export function send(conn: Connection, data: Uint8Array): number;
  /**
   * Receives at most `max-bytes`; blocks until at least one byte is available.
   */
  export function recv(conn: Connection, maxBytes: number): Uint8Array;
  /**
   * Returns the connection to the pool (the TCP connection stays open).
   */
  export function close(conn: Connection): void;
  /**
   * # Variants
   * 
   * ## `"postgres"`
   * 
   * ## `"mysql"`
   * 
   * ## `"redis"`
   */
  export type Protocol = 'postgres' | 'mysql' | 'redis';
  export interface DbConfig {
    protocol: Protocol,
    host: string,
    port: number,
    database?: string,
    poolSize: number,
  }
  /**
   * A handle owned by the instance that opened it.
   */
  export type Connection = bigint;
  /**
   * # Variants
   * 
   * ## `"connection-refused"`
   * 
   * ## `"timeout"`
   * 
   * ## `"protocol-error"`
   * 
   * ## `"pool-exhausted"`
   * 
   * ## `"closed"`
   */
  export type DbError = 'connection-refused' | 'timeout' | 'protocol-error' | 'pool-exhausted' | 'closed';
}
