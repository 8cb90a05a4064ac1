// A receipt for an approved contribution: the signed entries that prove it (the claim,
// its reviews and the recognition of this member), each with an RFC 9162 inclusion
// proof in the tree of the region's signed checkpoint. Anyone can check it offline
// against the checkpoint key, without trusting this server.
import { get, R } from './api.js';
import { state, apiPaths } from './state.js';

export async function buildReceipt(claimId, member) {
  const base = R(state.region);
  const receiptPath = (await apiPaths()).find((p) => /^\/v1\/regions\/\{region\}\/.*receipt/.test(p));
  if (receiptPath) {
    const url = receiptPath.replace('{region}', encodeURIComponent(state.region))
      .replace(/\{(claim|claim_id|id)\}/, claimId).replace(/\{(address|member)\}/, member);
    return get(url);
  }
  const claim = await get(`${base}/claims/${claimId}`);
  const who = await get(`${base}/members/${member}`);
  const note = await get(`${base}/checkpoint`);
  const size = Number(String(note).split('\n')[1]);
  const seqs = [claim.seq, ...claim.reviews.map((r) => r.seq)];
  const rec = who.recognitions.find((r) => r.claim === claimId);
  if (rec) seqs.push(rec.seq);
  const person = claim.people.find((p) => p.address === member);
  if (person && person.confirmedSeq != null) seqs.push(person.confirmedSeq);
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
    regionName: state.info.name,
    member,
    claim: claimId,
    title: claim.title,
    points: rec ? rec.points : null,
    checkpointKey: region.vkey || null,
    checkpoint: note,
    size,
    entries,
  };
}
