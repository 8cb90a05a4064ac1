#!/usr/bin/env node
// Compiles contracts/src/*.sol with the npm `solc` pinned in package.json, through its
// standard-JSON interface, and writes one artifact per deployable contract to
// contracts/artifacts/<Name>.json: ABI, creation and runtime bytecode, and the
// compiler metadata (which records the keccak256 of every source it was built from).
//
//   node contracts/compile.js           write the artifacts
//   node contracts/compile.js --check   compile in memory; exit 1 if the committed
//                                       artifacts differ from what the sources give
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const REPO = path.resolve(__dirname, '..');
const SRC = path.join(__dirname, 'src');
const OUT = path.join(__dirname, 'artifacts');
const NODE_MODULES = path.join(REPO, 'node_modules');
const FORMAT = 'kakawari-artifact-1';

// Deployable contracts; interfaces and libraries are compiled but not written out.
const CONTRACTS = ['KakawariAnchor', 'RecognitionBadge'];

// Cancun: the newest fork that py-evm 0.12 (eth-tester's in-process chain), anvil and
// most EVM chains in service all run. It has PUSH0 and MCOPY; solc's default (osaka)
// may emit CLZ, which py-evm does not know.
const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 10000 },
  metadata: { bytecodeHash: 'ipfs', appendCBOR: true },
  outputSelection: {
    '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'metadata'] },
  },
};

function sourceUnits() {
  const sources = {};
  for (const name of fs.readdirSync(SRC).sort()) {
    if (name.endsWith('.sol')) {
      const unit = `contracts/src/${name}`;
      sources[unit] = { content: fs.readFileSync(path.join(SRC, name), 'utf8') };
    }
  }
  return sources;
}

// Imports that are not among the sources: packages from node_modules (OpenZeppelin).
function findImport(unit) {
  if (unit.includes('..')) return { error: `refusing import path ${unit}` };
  for (const base of [NODE_MODULES, REPO]) {
    const file = path.join(base, unit);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: `import not found: ${unit} (run scripts/setup to install npm packages)` };
}

function compile() {
  const input = { language: 'Solidity', sources: sourceUnits(), settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const problems = output.errors || [];
  for (const p of problems) process.stderr.write(p.formattedMessage || p.message);
  if (problems.some((p) => p.severity === 'error')) {
    throw new Error('compilation failed');
  }
  if (problems.length) throw new Error('compiler warnings are treated as errors');
  const artifacts = {};
  for (const name of CONTRACTS) {
    const sourceName = `contracts/src/${name}.sol`;
    const c = output.contracts[sourceName] && output.contracts[sourceName][name];
    if (!c) throw new Error(`${name} not found in ${sourceName}`);
    artifacts[name] = {
      _format: FORMAT,
      contractName: name,
      sourceName,
      compiler: { name: 'solc', version: solc.version() },
      settings: { evmVersion: SETTINGS.evmVersion, optimizer: SETTINGS.optimizer },
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
      metadata: c.metadata,
    };
  }
  return artifacts;
}

function render(artifact) {
  return JSON.stringify(artifact, null, 2) + '\n';
}

function main(argv) {
  const check = argv.includes('--check');
  const artifacts = compile();
  const stale = [];
  for (const [name, artifact] of Object.entries(artifacts)) {
    const file = path.join(OUT, `${name}.json`);
    const text = render(artifact);
    if (check) {
      const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
      if (committed !== text) stale.push(path.relative(REPO, file));
    } else {
      fs.mkdirSync(OUT, { recursive: true });
      fs.writeFileSync(file, text);
      process.stdout.write(`wrote ${path.relative(REPO, file)}\n`);
    }
  }
  if (stale.length) {
    process.stderr.write(
      `artifacts do not match the sources: ${stale.join(', ')}\n` +
        'run scripts/compile-contracts and commit the result\n',
    );
    return 1;
  }
  if (check) process.stdout.write(`artifacts match the sources (solc ${solc.version()})\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`compile-contracts: ${err.message}\n`);
  process.exitCode = 2;
}
