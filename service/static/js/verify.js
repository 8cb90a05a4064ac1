// Checks an auditor can run in the browser: the Ed25519 signature of a C2SP signed
// note with the region's vkey, and an RFC 9162 consistency proof between two tree
// sizes. Pure functions over WebCrypto and SHA-256.
import { sha256, fromBase64 } from './hash.js';

/** Parse a C2SP vkey "<name>+<hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>". */
export function parseVkey(vkey) {
  const i = vkey.indexOf('+'), j = vkey.indexOf('+', i + 1);
  const name = vkey.slice(0, i), id = vkey.slice(i + 1, j), data = vkey.slice(j + 1);
  const raw = fromBase64(data);
  if (raw[0] !== 0x01 || raw.length !== 33) throw new Error('not an Ed25519 vkey');
  return { name, keyId: id, key: raw.slice(1) };
}

/** true / false, or null when this browser can't check Ed25519. */
export async function verifyNote(note, vkey) {
  const { name, keyId, key } = parseVkey(vkey);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return false;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split('\n').filter(Boolean);
  let cryptoKey;
  try {
    cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
  } catch { return null; }
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const sig = fromBase64(m[2]);
    const id = Array.from(sig.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    if (id !== keyId.toLowerCase()) continue;
    return crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, sig.slice(4), new TextEncoder().encode(text));
  }
  return false;
}

export function parseCheckpoint(note) {
  const [origin, size, root] = note.split('\n');
  return { origin, size: Number(size), root };
}

async function node(left, right) {
  const buf = new Uint8Array(65);
  buf[0] = 1; buf.set(left, 1); buf.set(right, 33);
  return sha256(buf);
}

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** RFC 9162 §2.1.4.2: is the tree of `first` (root firstRoot) a prefix of `second`? */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  if (first > second || !proof.length) return false;
  let path = proof;
  if ((first & (first - 1)) === 0) path = [firstRoot, ...proof];
  let fn = first - 1, sn = second - 1;
  while (fn & 1) { fn >>= 1; sn >>= 1; }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) || fn === sn) {
      fr = await node(c, fr); sr = await node(c, sr);
      if (!(fn & 1)) { while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; } }
    } else {
      sr = await node(sr, c);
    }
    fn >>= 1; sn >>= 1;
  }
  return same(fr, firstRoot) && same(sr, secondRoot) && sn === 0;
}

export const b64 = fromBase64;
export const fromHex = (h) => Uint8Array.from(h.replace(/^0x/, '').match(/../g).map((x) => parseInt(x, 16)));

/** RFC 9162 §2.1.3.2: does `proof` put `leafHash` at `index` of the tree of `size`
 *  whose root is `root`? */
export async function verifyInclusion(index, size, leafHash, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if ((fn & 1) || fn === sn) {
      r = await node(p, r);
      if (!(fn & 1)) { while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; } }
    } else {
      r = await node(r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && same(r, root);
}

/** RFC 9162 §2.1.1 leaf hash of an entry's canonical bytes. */
export async function leafHash(bytes) {
  const buf = new Uint8Array(bytes.length + 1);
  buf.set(bytes, 1);
  return sha256(buf);
}
