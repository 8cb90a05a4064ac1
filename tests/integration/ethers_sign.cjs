// Signs with ethers v6 exactly as a dapp would: reads one JSON request on stdin,
// writes the signature (and the signer's checksummed address) as JSON on stdout.
//   {"kind": "typed", "key": "0x..", "domain": {...}, "types": {...}, "message": {...}}
//   {"kind": "text", "key": "0x..", "text": "..."}   (personal_sign, e.g. SIWE)
const { Wallet } = require("ethers");

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const req = JSON.parse(input);
  const wallet = new Wallet(req.key);
  let signature;
  if (req.kind === "typed") {
    const types = { ...req.types };
    delete types.EIP712Domain; // ethers derives the domain type itself
    signature = await wallet.signTypedData(req.domain, types, req.message);
  } else {
    signature = await wallet.signMessage(req.text);
  }
  process.stdout.write(JSON.stringify({ address: wallet.address, signature }));
});
