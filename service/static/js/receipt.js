// A receipt for an approved contribution: the signed entries that prove it (the claim,
// its reviews and the recognition of this member), each with an RFC 9162 inclusion
// proof in the tree of the region's signed checkpoint. Anyone can check it offline
// against the checkpoint key, without trusting this server.
import { get, R } from './api.js';
import { state, apiPaths } from './state.js';

export async function buildReceipt(claimId, member) {
  const base = R(state.region);
  // The server's own receipt when it offers one (found in its OpenAPI document).
  const receiptPath = (await apiPaths()).find((p) => /^\/v1\/regions\/\{region\}\/.*receipt/.test(p) &&
    (p.match(/\{[^}]+\}/g) || []).every((x) => ['{region}', '{claim}', '{member}', '{address}'].includes(x)));
  if (receiptPath) {
    const url = receiptPath.replace('{region}', encodeURIComponent(state.region))
      .replace('{claim}', claimId).replace(/\{(address|member)\}/, member);
    return get(`${url}?member=${member}`);
  }
  // Otherwise built here, in the same format (kakawari-receipt/1): the region's first
  // entry, every entry about the claim that concerns this member, each with its
  // inclusion proof in the tree of the latest signed checkpoint.
  const claim = await get(`${base}/claims/${claimId}`);
  const who = await get(`${base}/members/${member}`);
  const note = await get(`${base}/checkpoint`);
  const size = Number(String(note).split('\n')[1]);
  const seqs = [0, claim.seq, ...claim.reviews.map((r) => r.seq), ...claim.endorsements.map((e) => e.seq)];
  for (const p of claim.people) if (p.confirmedSeq != null) seqs.push(p.confirmedSeq);
  const rec = who.recognitions.find((r) => r.claim === claimId);
  if (rec) seqs.push(rec.seq);
  const entries = [];
  for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
    if (seq >= size) continue;
    const [page, proof] = await Promise.all([
      get(`${base}/entries?start=${seq}&limit=1`),
      get(`${base}/proofs/inclusion?index=${seq}&size=${size}`),
    ]);
    entries.push({ seq, entry: page.entries[0].entry, leafHash: proof.leafHash, proof: proof.proof });
  }
  const region = state.regions.find((r) => r.region === state.region) || {};
  return {
    format: 'kakawari-receipt/1',
    region: state.region,
    origin: `kakawari/${state.region}`,
    claim: claimId,
    member,
    title: claim.title,
    ...(rec ? { points: rec.points } : {}),
    regionName: state.info.name,
    checkpointKey: region.vkey || null,
    checkpoint: note,
    size,
    entries,
    anchor: null,
  };
}
