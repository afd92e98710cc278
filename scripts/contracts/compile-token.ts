import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CompiledContract {
  abi: unknown[];
  bytecode: string;
}

const SOURCE = path.join(__dirname, 'TestUSDT.sol');

/**
 * Compiles TestUSDT with solc-js from npm (its own compiler download would need the internet).
 * The result is cached per source hash, since compiling takes seconds and the source rarely changes.
 */
export function compileTestToken(): CompiledContract {
  const source = readFileSync(SOURCE, 'utf8');
  const cacheDir = path.join(process.env.SETTLE_CACHE ?? path.join(os.homedir(), '.cache', 'settle'), 'contracts');
  const cacheFile = path.join(cacheDir, `TestUSDT-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as CompiledContract;
  } catch {
    // not cached yet
  }

  const solc = require('solc') as { compile(input: string): string };
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'TestUSDT.sol': { content: source } },
        settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  );
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === 'error');
  if (errors.length)
    throw new Error(`solc failed: ${errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts['TestUSDT.sol'].TestUSDT;
  const compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(`${cacheFile}.tmp`, JSON.stringify(compiled));
  renameSync(`${cacheFile}.tmp`, cacheFile);
  return compiled;
}
