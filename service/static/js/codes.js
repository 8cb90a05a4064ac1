// One-time codes handed out on paper (invitations, recovery codes): the same format
// and reading as service/codes.py. 12 characters of Crockford's base32 in three groups;
// typed in any case, with or without spaces or hyphens, full-width too.
import { sha256, hex } from './hash.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SEPARATORS = /[\s\-‐‑‒–—―−ーｰ－_]+/g;

/** A fresh code as it is printed: K7QM-3WXP-9RTD. */
export function newCode() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const chars = Array.from(bytes, (b) => ALPHABET[b % 32]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/** The code as the log hashes it. */
export function normalizeCode(code) {
  return code.normalize('NFKC').replace(SEPARATORS, '').toUpperCase()
    .replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** 0x + SHA-256 of the normalized code (what Invitation and Recovery entries hold). */
export async function codeHash(code) {
  return hex(await sha256(new TextEncoder().encode(normalizeCode(code))));
}
