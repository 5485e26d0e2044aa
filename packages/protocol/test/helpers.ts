import { Parser } from 'pg-protocol/dist/parser.js';

/** Parses backend bytes with node-postgres's own protocol parser (the client's view). */
export function parseBackend(bytes: Uint8Array): Array<Record<string, unknown> & { name: string }> {
  const out: Array<Record<string, unknown> & { name: string }> = [];
  new Parser().parse(Buffer.from(bytes), (msg) => out.push(msg as unknown as Record<string, unknown> & { name: string }));
  return out;
}
